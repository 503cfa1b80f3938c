/**
 * Key-value stores: {@link dev.arrow.services.kv.KvStore} is what an implementation keeps,
 * {@link dev.arrow.services.kv.KvService} the rules every implementation shares.
 */
package dev.arrow.services.kv;
