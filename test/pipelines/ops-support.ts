/** Helpers of the metrics and health tests: scrape /metrics, read one sample, poll until a condition holds. */

/** The Prometheus text of `url`/metrics. */
export async function scrape(url: string): Promise<string> {
  const response = await fetch(`${url}/metrics`);
  if (response.status !== 200) throw new Error(`GET ${url}/metrics: ${response.status}`);
  return response.text();
}

/** The value of the sample written exactly as `series` (name and labels as Prometheus prints them), or undefined. */
export function metricValue(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

/** Polls `probe` every 50 ms until it gives something other than undefined (the test's timeout bounds it). */
export async function waitFor<T>(probe: () => T | undefined | Promise<T | undefined>): Promise<T> {
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
