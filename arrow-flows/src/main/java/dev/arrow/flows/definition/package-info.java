/**
 * The flow model both languages are read into: a {@link dev.arrow.flows.definition.FlowDefinition}
 * whose body is a tree of {@link dev.arrow.flows.definition.Step}s, a sealed set of task kinds.
 * Values that hold runtime expressions are kept as JSON templates: a string {@code ${ jq }} is an
 * expression, any other value is itself, and objects and arrays are templates member by member.
 */
package dev.arrow.flows.definition;
