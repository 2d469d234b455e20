package io.rptun.benchmarks.harness;

import io.aeron.Aeron;
import io.aeron.ExclusivePublication;
import io.aeron.Publication;
import io.aeron.Subscription;
import io.aeron.logbuffer.FragmentHandler;
import io.rptun.benchmarks.AeronIpc;

/**
 * The pong side of Aeron's ping-pong, in the child JVM {@link PingPongMain} starts: connects to the
 * pinger's media driver ({@code args[0]} is its directory), echoes every message of the ping stream on the
 * pong stream (an exclusive publication), busy-polling like the pinger, and exits when a one-byte message
 * says the run is over. If the pinger dies, the client loses its driver and this JVM halts.
 */
public final class AeronPongMain {
    /** The pinger's stream. */
    static final int PING_STREAM = 1002;
    /** The ponger's stream. */
    static final int PONG_STREAM = 1003;

    private static volatile boolean running = true;

    private AeronPongMain() {
    }

    public static void main(String[] args) {
        if (args.length != 1) {
            System.err.println("usage: AeronPongMain AERON_DIR");
            System.exit(2);
        }
        Aeron.Context context = new Aeron.Context().aeronDirectoryName(args[0]).errorHandler(e -> {
            System.err.println("aeron pong: " + e);
            Runtime.getRuntime().halt(3);
        });
        try (Aeron aeron = Aeron.connect(context);
                Subscription ping = aeron.addSubscription(AeronIpc.CHANNEL, PING_STREAM);
                ExclusivePublication pong = aeron.addExclusivePublication(AeronIpc.CHANNEL, PONG_STREAM)) {
            FragmentHandler echo = (buffer, offset, length, header) -> {
                if (length == 1) {
                    running = false;
                    return;
                }
                long result;
                while ((result = pong.offer(buffer, offset, length)) < 0) {
                    if (result == Publication.CLOSED || result == Publication.MAX_POSITION_EXCEEDED) {
                        throw new IllegalStateException("pong offer failed: " + Publication.errorString(result));
                    }
                    Thread.onSpinWait();
                }
            };
            while (running) {
                if (ping.poll(echo, 16) == 0) {
                    Thread.onSpinWait();
                }
            }
        }
        System.exit(0);
    }
}
