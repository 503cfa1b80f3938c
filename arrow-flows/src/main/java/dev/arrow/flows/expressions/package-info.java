/**
 * Runtime expressions in jq (jackson-jq, jq 1.6's language), as the DSL requires: compiled once
 * and cached, evaluated on a step's input with the DSL's variables ({@code $context},
 * {@code $input}, {@code $workflow}, ...), inside templates whose strings {@code ${ ... }} are
 * expressions.
 */
package dev.arrow.flows.expressions;
