package io.rptun.reactive.nuttx;

import io.rptun.core.nuttx.NuttxSyslogServer;
import io.rptun.core.rpmsg.RpmsgDevice;
import io.rptun.core.rpmsg.RpmsgException;
import io.rptun.core.rpmsg.RpmsgServiceListener;
import java.util.Objects;
import reactor.core.publisher.BufferOverflowStrategy;
import reactor.core.publisher.Flux;
import reactor.core.publisher.FluxSink;

/**
 * The log of a NuttX peer's syslog client ({@code rpmsg-syslog}) as a {@code Flux<String>} of lines, one
 * per {@code '\n'} (see {@link NuttxSyslogServer} for how lines are cut).
 *
 * <pre>{@code
 * NuttxSyslogFlux.lines(device).subscribe(line -> System.out.println("proxy: " + line));
 * }</pre>
 *
 * Each subscription opens a {@link NuttxSyslogServer} (the {@code rpmsg-syslog} endpoint) and closes it
 * when cancelled; a device has one syslog peer, so subscribe once at a time. The flux errors with the core's
 * {@link RpmsgException} (PEER_LOST, DEVICE_CLOSED, DEVICE_BROKEN) when the device stops, and never
 * completes otherwise. Lines wait for demand in a buffer of {@code bufferedLines}; past it the oldest are
 * dropped (the peer cannot be slowed down) and go to Reactor's discard hook: see them with
 * {@code .doOnDiscard(String.class, line -> ...)} after {@code lines(...)}.
 */
public final class NuttxSyslogFlux {
    /** Lines kept for a subscriber that is behind, by default. */
    public static final int DEFAULT_BUFFERED_LINES = 4096;

    private NuttxSyslogFlux() {
    }

    /** {@link #lines(RpmsgDevice, int)} with {@value #DEFAULT_BUFFERED_LINES} buffered lines. */
    public static Flux<String> lines(RpmsgDevice device) {
        return lines(device, DEFAULT_BUFFERED_LINES);
    }

    /** The peer's log lines; cold: nothing happens on the device before a subscription. */
    public static Flux<String> lines(RpmsgDevice device, int bufferedLines) {
        Objects.requireNonNull(device, "device");
        if (bufferedLines < 1) {
            throw new IllegalArgumentException("bufferedLines=" + bufferedLines);
        }
        return Flux.<String>create(sink -> open(device, sink), FluxSink.OverflowStrategy.BUFFER)
                .onBackpressureBuffer(bufferedLines, BufferOverflowStrategy.DROP_OLDEST);
    }

    private static void open(RpmsgDevice device, FluxSink<String> sink) {
        NuttxSyslogServer server;
        try {
            server = NuttxSyslogServer.open(device, sink::next);
        } catch (RpmsgException e) {
            sink.error(e);
            return;
        }
        RpmsgServiceListener stopped = new RpmsgServiceListener() {
            @Override
            public void serviceCreated(String name, int address) {
            }

            @Override
            public void serviceDestroyed(String name, int address) {
            }

            @Override
            public void deviceStopped(RpmsgException why) {
                sink.error(why);
            }
        };
        device.addServiceListener(stopped);
        sink.onDispose(() -> {
            device.removeServiceListener(stopped);
            server.close();
        });
        RpmsgException failure = device.failure();
        if (failure != null) {
            sink.error(failure);
        }
    }
}
