/**
 * The durable executor. {@link dev.arrow.flows.execution.FlowEngine} deploys flows (read, checked,
 * stored), starts runs and runs each on its own virtual thread by walking the definition's tree.
 * Every step is recorded before the next one starts; a run resumed after a restart walks the tree
 * again from the top, and each step already recorded as done gives its stored output instead of
 * running again (pure steps are simply evaluated again), so completed calls are not repeated and
 * timers keep their stored end. The ports: {@link dev.arrow.flows.runs.FlowStore},
 * {@link dev.arrow.flows.execution.FlowCalls}, {@link dev.arrow.flows.execution.FlowEvents}.
 */
package dev.arrow.flows.execution;
