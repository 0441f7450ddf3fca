/**
 * Work that waits for a dependency to answer again (a database, the session store): one attempt at a time, a
 * next one `everyMs` later while `hasWork()` says something is left, and at shutdown one last attempt bounded by
 * `lastAttemptMs`, so a clean stop loses nothing it can still write.
 */
export class RetryLoop {
  private timer: ReturnType<typeof setTimeout> | null = null;
  private running: Promise<void> | null = null;
  private closed = false;

  constructor(
    private readonly everyMs: number,
    private readonly attempt: () => Promise<void>,
    private readonly hasWork: () => boolean,
  ) {}

  /** One attempt now (joined if one is under way); the next is scheduled if work is left. */
  run(): Promise<void> {
    this.running ??= this.attempt().finally(() => {
      this.running = null;
      this.schedule();
    });
    return this.running;
  }

  /** Another attempt in `everyMs`, unless one is planned, the loop is closed or nothing is left. */
  schedule(): void {
    if (this.timer || this.closed || !this.hasWork()) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.run();
    }, this.everyMs);
    this.timer.unref();
  }

  /** No more retries; a last attempt (at most `lastAttemptMs`) when work is left. Returns whether some is still left. */
  async close(lastAttemptMs = 2000): Promise<boolean> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (!this.hasWork()) return false;
    await Promise.race([this.run(), new Promise((resolve) => setTimeout(resolve, lastAttemptMs).unref())]);
    return this.hasWork();
  }
}
