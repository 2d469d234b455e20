/**
 * NuttX's rpmsg services as Reactor streams, built only on the public API of {@link io.rptun.core.nuttx}:
 * {@link io.rptun.reactive.nuttx.NuttxSyslogFlux} gives the log a NuttX proxy sends as a {@code Flux} of
 * lines.
 *
 * <h2>Threads and back-pressure</h2>
 * Lines are emitted on the device's serving thread (or drained on the requesting thread). NuttX's syslog has
 * no flow control towards the server, so a subscriber that is behind cannot slow the peer: lines wait in a
 * bounded buffer and the oldest are dropped past it (counted), never the serving thread held.
 */
@NullMarked
package io.rptun.reactive.nuttx;

import org.jspecify.annotations.NullMarked;
