/**
 * What lives on an executor between tasks: the model built once per JVM, config and device, with
 * the lock that serialises gradient computation in that JVM. Used by training and sampling tasks.
 */
package io.sparkddpm.executor;
