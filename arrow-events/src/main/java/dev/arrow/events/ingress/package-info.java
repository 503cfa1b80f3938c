/** CloudEvents 1.0 as they reach the node over HTTP: binary, structured and batch modes, checked attribute by attribute. */
package dev.arrow.events.ingress;
