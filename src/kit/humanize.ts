/** Durations as FS writes them in messages and mails: "2 days", "1 hour and 30 minutes", "5 minutes". */
export function humanizeSeconds(total: number): string {
  const units: [string, number][] = [
    ["day", 86400],
    ["hour", 3600],
    ["minute", 60],
    ["second", 1],
  ];
  const parts: string[] = [];
  let rest = Math.max(0, Math.round(total));
  for (const [name, size] of units) {
    const n = Math.floor(rest / size);
    if (n > 0) {
      parts.push(`${n} ${name}${n === 1 ? "" : "s"}`);
      rest -= n * size;
    }
    if (parts.length === 2) break;
  }
  if (parts.length === 0) return "0 seconds";
  return parts.join(" and ");
}
