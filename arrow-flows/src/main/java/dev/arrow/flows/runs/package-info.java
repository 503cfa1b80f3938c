/**
 * What the executor stores: flow revisions (the source as deployed, re-read when a run needs it),
 * runs pinned to a revision, and each step's record, behind the {@link dev.arrow.flows.runs.FlowStore}
 * port that the node's SQLite implements.
 */
package dev.arrow.flows.runs;
