/**
 * Micrometer meters for rptun, as {@link io.micrometer.core.instrument.binder.MeterBinder}s:
 * {@link io.rptun.micrometer.RptunMetrics} for a link (its state, restarts and lost peers, and the meters of
 * {@link io.rptun.micrometer.RpmsgDeviceMetrics} for whichever session's device is current),
 * {@link io.rptun.micrometer.RpmsgDeviceMetrics} for one rpmsg device, and
 * {@link io.rptun.micrometer.RpmsgReactiveMetrics} for the reactive channels of an {@code RpmsgReactive}.
 *
 * <h2>Names and tags</h2>
 * Micrometer's conventions: dot-separated lowercase names ({@code rptun.link.*} for the link,
 * {@code rpmsg.*} for the device, {@code rpmsg.channel.*} for channels) that each registry renders its own way,
 * base units ({@code messages}, {@code bytes}, {@code buffers}), counters for what only grows (a
 * {@code FunctionCounter} over the core's own counters: nothing is counted twice) and gauges for what is now.
 * Every meter carries {@code link} (the name the binder was given); channel meters add {@code endpoint}, drop
 * counters {@code reason}, the state gauge {@code state}. The tag set is bounded: {@code state} and
 * {@code reason} are enums, {@code link} is one value per binder, and {@code endpoint} takes at most
 * {@link io.rptun.micrometer.RpmsgReactiveMetrics#DEFAULT_MAX_ENDPOINTS} names (configurable), the rest
 * sharing {@value io.rptun.micrometer.RpmsgReactiveMetrics#OTHER_ENDPOINTS}.
 *
 * <h2>Reactor</h2>
 * These binders read what rptun counts itself, so nothing is added on the message path. For the signals of
 * one sequence (its requests, {@code onNext}s and duration), Reactor's own listener goes beside them:
 * {@code channel.receive().name("rpmsg.receive").tag("endpoint", "echo").tap(Micrometer.metrics(registry))}
 * from reactor-core-micrometer, which this module does not depend on (add it where you want it; the names
 * then follow Reactor's {@code <name>.*} scheme).
 */
@NullMarked
package io.rptun.micrometer;

import org.jspecify.annotations.NullMarked;
