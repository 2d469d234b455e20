/**
 * Models of OpenAMP's C programs (peers.md section 1) for tests and benchmarks: {@link
 * io.rptun.test.openamp.CFloodHost} and {@link io.rptun.test.openamp.CEchoRemote} behave as the Linux demo's flood
 * ping host and echo remote do (they look at the rings only after a kick, one pass per kick; they suppress
 * kicks for their own TX vring; the remote answers from its callback with a blocking send), over the demo's
 * shm file and UNIX-socket doorbell. {@link io.rptun.test.openamp.RptunSides} are rptun's own two sides over
 * the same protocol, as the {@code rptun} command runs them.
 *
 * <p>The models are written from the behaviour peers.md describes, not from rptun's serving loop and not
 * from OpenAMP's code; only the wire-layout accessors and the transport (file, socket) are rptun's.
 */
@NullMarked
package io.rptun.test.openamp;

import org.jspecify.annotations.NullMarked;
