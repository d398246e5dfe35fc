/**
 * Wraps a ClusterSource and a DocumentFetcher to record when each read started and ended, so a benchmark can
 * show the request timeline of one diagnosis next to its wall time (which reads waited for which).
 */
import type { ClusterSource, LogReadOptions } from '../src/model/cluster-source.js';
import type { DocumentFetcher } from '../src/model/document-fetcher.js';
import type { FetchedDocument, KubeObject } from '../src/model/index.js';

export interface TimelineEntry {
  what: string;
  startMs: number;
  endMs: number;
}

export class Timeline {
  readonly entries: TimelineEntry[] = [];
  private readonly origin = performance.now();

  async record<T>(what: string, run: () => Promise<T>): Promise<T> {
    const startMs = performance.now() - this.origin;
    try {
      return await run();
    } finally {
      this.entries.push({ what, startMs, endMs: performance.now() - this.origin });
    }
  }

  /** One line per read, ordered by start: `  12.3 →  35.1 ms  list pods foo`. */
  format(): string {
    return [...this.entries]
      .sort((a, b) => a.startMs - b.startMs)
      .map((e) => `${e.startMs.toFixed(1).padStart(7)} → ${e.endMs.toFixed(1).padStart(7)} ms  ${e.what}`)
      .join('\n');
  }
}

export function timedSource(inner: ClusterSource, timeline: Timeline): ClusterSource {
  return {
    name: inner.name,
    readService: (ns: string, name: string) => timeline.record(`get service ${ns}/${name}`, () => inner.readService(ns, name)),
    listServiceNames: (ns: string) => timeline.record(`list services ${ns}`, () => inner.listServiceNames(ns)),
    readNamespace: (name: string) => timeline.record(`get namespace ${name}`, () => inner.readNamespace(name)),
    listPods: (ns: string, selector: string, limit: number): Promise<KubeObject[]> =>
      timeline.record(`list pods ${ns} (${selector}, limit ${limit})`, () => inner.listPods(ns, selector, limit)),
    listCustomObjects: (group: string, versions: readonly string[], plural: string, ns?: string) =>
      timeline.record(`list ${plural}.${group} ${ns ?? '(cluster)'}`, () => inner.listCustomObjects(group, versions, plural, ns)),
    readPodLog: (ns: string, pod: string, container: string, options: LogReadOptions) =>
      timeline.record(`log ${ns}/${pod}/${container}`, () => inner.readPodLog(ns, pod, container, options)),
    requestCount: () => inner.requestCount(),
  };
}

export function timedFetcher(inner: DocumentFetcher, timeline: Timeline): DocumentFetcher {
  return { fetch: (url: string): Promise<FetchedDocument> => timeline.record(`fetch ${new URL(url).pathname}`, () => inner.fetch(url)) };
}
