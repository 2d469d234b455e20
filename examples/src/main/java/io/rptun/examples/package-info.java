/**
 * Runnable examples, each run by {@code ./rptun example NAME} and by a test: {@link
 * io.rptun.examples.CoreEchoExample} (core API), {@link io.rptun.examples.ReactiveEchoExample} (reactive
 * API), {@link io.rptun.examples.SensorExample} (a remote sensor streaming readings and answering commands,
 * consumed with backpressure), and the Kotlin coroutines example ({@code KotlinEcho.kt}).
 */
@NullMarked
package io.rptun.examples;

import org.jspecify.annotations.NullMarked;
