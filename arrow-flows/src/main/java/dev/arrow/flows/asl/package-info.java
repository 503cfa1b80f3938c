/**
 * Amazon States Language imported into Arrow's model (Task, Pass, Choice, Wait, Succeed, Fail,
 * Parallel, Map, Retry, Catch; JSONPath turned into jq), so Step Functions users bring their definitions.
 */
package dev.arrow.flows.asl;
