/**
 * The CNCF Serverless Workflow DSL 1.0 reader: the SDK parses and validates the document against
 * the specification's schema; this package turns it into Arrow's model, refusing anything outside
 * the subset Arrow runs with the task's path named.
 */
package dev.arrow.flows.dsl;
