package dev.arrow.flows.runs;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Where flows, runs and steps are kept; the node's SQLite implements it. Every write has returned
 * only once it is committed; a synced write is on disk (it survives a power cut), an unsynced one
 * survives the process being killed and is made durable by the next synced write.
 */
public interface FlowStore {

    /**
     * Stores a new revision of {@code flow} (1 for a new flow, or the last revision ever made plus
     * one, even after a delete), unless its latest revision has the same language and source: then
     * that one is returned, and nothing is written.
     */
    FlowRevision deploy(String flow, Language language, String source, Instant at);

    Optional<FlowRevision> revision(String flow, int revision);

    /** The latest revision of a flow that is deployed (not deleted). */
    Optional<FlowRevision> latest(String flow);

    /** Every revision of a deployed flow, oldest first; empty when there is no such flow. */
    List<FlowRevision> revisions(String flow);

    /** The latest revision of every deployed flow, by name. */
    List<FlowRevision> flows();

    /**
     * Deletes a flow: it can no longer be started or listed, but its revisions stay as long as runs
     * pinned to them do. False when there is no such flow.
     */
    boolean delete(String flow);

    /** Stores a new run (synced). */
    void start(RunRecord run);

    Optional<RunRecord> run(String id);

    /** Runs, newest first, of one flow or all, with one status or any, at most {@code limit}. */
    List<RunRecord> runs(Optional<String> flow, Optional<RunStatus> status, int limit);

    /** The runs still RUNNING, oldest first: those to resume after a restart. */
    List<RunRecord> running();

    /** How many runs are RUNNING, of every flow. */
    int countRunning();

    /**
     * Ends a RUNNING run (synced); false, with nothing written, when the run is not RUNNING (it was
     * cancelled meanwhile, say).
     */
    boolean finish(String id, RunStatus status, Optional<String> output, Optional<String> error, Instant at);

    /** Makes a FAILED or TIMED_OUT run RUNNING again with one more redrive (synced); false otherwise. */
    boolean redrive(String id, Instant at);

    /**
     * Writes step records, each replacing any record of the same run and path, in one transaction;
     * {@code synced}: on disk before this returns.
     */
    void record(List<StepRecord> steps, boolean synced);

    /** A run's step records, in the order they started (ties by path). */
    List<StepRecord> steps(String run);

    /**
     * Deletes runs that finished before {@code cutoff} with their steps, at most {@code limit} of
     * them, and the revisions of deleted flows no run needs any more; returns how many runs went.
     */
    int purge(Instant cutoff, int limit);
}
