/** Knative Eventing's filter dialect (exact, prefix, suffix, all, any, not) over CloudEvent attributes. */
package dev.arrow.events.filters;
