import type { Logger } from "./runtime.js";

/**
 * How far this instance's clock is from the database's — the one clock every instance shares. Measured at
 * start and then every `checkIntervalSeconds`; a skew beyond the threshold is logged as a warning, and time
 * judgements that must agree across instances (authenticator codes) are then made on the database's time.
 */
export interface ClockReading {
  /** This instance's clock minus the database's, in milliseconds (positive: this instance runs fast). */
  skewMs: number;
  /** When it was measured, on this instance's clock. */
  measuredAt: Date;
  /** Whether the skew is beyond the configured threshold (authenticator codes then use the database's time). */
  exceeded: boolean;
}

export interface ClockSkewOptions {
  databaseNow(): Promise<Date>;
  now(): Date;
  logger: Logger;
  thresholdSeconds: number;
  checkIntervalSeconds: number;
}

export class ClockSkewMonitor {
  private reading: ClockReading | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly options: ClockSkewOptions) {}

  /** The last measurement (null before the first one succeeded). */
  get last(): ClockReading | null {
    return this.reading;
  }

  /** Measures the skew now (the database's time taken as of the middle of the round trip). */
  async measure(): Promise<ClockReading> {
    const { now, databaseNow, thresholdSeconds, logger } = this.options;
    const sent = now().getTime();
    const database = (await databaseNow()).getTime();
    const received = now().getTime();
    const skewMs = Math.round((sent + received) / 2 - database);
    const exceeded = Math.abs(skewMs) > thresholdSeconds * 1000;
    if (exceeded) {
      const seconds = (Math.abs(skewMs) / 1000).toFixed(1);
      logger.warn(
        `clock skew: this instance's clock is ${seconds} s ${skewMs > 0 ? "ahead of" : "behind"} the database's ` +
          `(threshold ${thresholdSeconds} s); authenticator codes are judged on the database's time until it is fixed (sync the clock with NTP)`,
      );
    } else if (this.reading?.exceeded) {
      logger.info(`clock skew back within ${thresholdSeconds} s (${skewMs} ms)`);
    }
    this.reading = { skewMs, measuredAt: new Date(received), exceeded };
    return this.reading;
  }

  /**
   * The time to judge shared time windows on: this instance's clock, corrected by the last measured skew when
   * that skew is beyond the threshold.
   */
  trustedNow(): Date {
    const now = this.options.now();
    return this.reading?.exceeded ? new Date(now.getTime() - this.reading.skewMs) : now;
  }

  /**
   * `at`, read on this instance's clock, on the database's clock by the last measured skew (unchanged before the
   * first measurement). Times that other instances compare with theirs (when a session was made, a revoke-all's
   * cut-off) are kept this way, so a clock running ahead or behind does not move them.
   */
  onDatabaseClock(at: Date): Date {
    return this.reading ? new Date(at.getTime() - this.reading.skewMs) : at;
  }

  /** Measures once now and then periodically; a failed measurement is logged and keeps the last reading. */
  async start(): Promise<void> {
    if (this.options.checkIntervalSeconds <= 0) return;
    await this.measureQuietly();
    this.timer = setInterval(() => void this.measureQuietly(), this.options.checkIntervalSeconds * 1000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private async measureQuietly(): Promise<void> {
    try {
      await this.measure();
    } catch (error) {
      this.options.logger.warn(`clock skew check failed: ${(error as Error).message}`);
    }
  }
}
