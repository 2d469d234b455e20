package io.rptun.reliability;

import io.rptun.core.rpmsg.RpmsgDevice;
import io.rptun.core.rpmsg.RpmsgEndpoint;
import io.rptun.core.rpmsg.RpmsgException;
import io.rptun.core.rpmsg.RpmsgListener;
import io.rptun.core.rpmsg.RpmsgMessage;
import io.rptun.core.rpmsg.RpmsgTxBuffer;
import io.rptun.sim.RemoteServices;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The soak's remote half, loaded by name in the child JVM ({@code RemoteMain --service-class}): endpoints
 * {@code soak-0} .. {@code soak-7}, each checking the host's stream (sequence, CRC) and producing its own.
 *
 * <p>Per endpoint: START [n, m] from the host says the host sends n DATA and asks for m; the remote starts
 * a thread that sends m DATA of mixed sizes (even endpoints fill TX buffers in place, odd ones send arrays)
 * and then END [m]. On the host's END the remote answers REPORT with what its {@link SoakProtocol.StreamCheck}
 * counted. Problems are printed to stderr (the host's output) and show up there as missing ENDs or REPORTs.
 */
public final class SoakRemoteServices implements RemoteServices {
    /** Endpoints, as the issue asks. */
    static final int STREAMS = 8;

    public SoakRemoteServices() {
    }

    static String name(int stream) {
        return "soak-" + stream;
    }

    @Override
    public void register(RpmsgDevice device) {
        for (int i = 0; i < STREAMS; i++) {
            device.createEndpoint(name(i), new Stream(i));
        }
    }

    /** One endpoint: checks what comes in, produces on request. */
    private static final class Stream implements RpmsgListener {
        private final int stream;
        private final SoakProtocol.StreamCheck check;
        private final AtomicBoolean producing = new AtomicBoolean();

        Stream(int stream) {
            this.stream = stream;
            this.check = new SoakProtocol.StreamCheck(stream);
        }

        @Override
        public void onMessage(RpmsgEndpoint ep, RpmsgMessage msg) {
            MemorySegment m = msg.payload();
            switch (check.accept(m)) {
                case SoakProtocol.START -> {
                    check.expect(SoakProtocol.value(m, 0));
                    long produce = SoakProtocol.value(m, 1);
                    if (producing.compareAndSet(false, true)) {
                        Thread.ofPlatform().daemon().name("soak-producer-" + stream).start(() -> produce(ep, produce));
                    }
                }
                // In the callback: a send that waits for a TX buffer keeps serving meanwhile.
                case SoakProtocol.END -> ep.send(SoakProtocol.control(SoakProtocol.REPORT, stream, 0, check.counts()));
                default -> {
                    // DATA (counted) or a corrupt message (counted)
                }
            }
        }

        private void produce(RpmsgEndpoint ep, long count) {
            SplittableRandom random = new SplittableRandom(0x50A4_0000L + stream);
            int max = ep.maxPayload();
            byte[] array = new byte[max];
            MemorySegment heap = MemorySegment.ofArray(array);
            long seq = 0;
            try {
                if (!ep.awaitBound(Duration.ofSeconds(30))) {
                    System.err.println("soak remote: " + name(stream) + " never bound");
                    return;
                }
                for (; seq < count; seq++) {
                    int length = SoakProtocol.randomLength(random, max);
                    if ((stream & 1) == 0) {
                        RpmsgTxBuffer tx = ep.txBuffer();
                        SoakProtocol.writeData(tx.payload(), stream, seq, length, random);
                        tx.send(length);
                    } else {
                        SoakProtocol.writeData(heap, stream, seq, length, random);
                        ep.send(array, 0, length);
                    }
                }
                ep.send(SoakProtocol.control(SoakProtocol.END, stream, count));
            } catch (RpmsgException e) {
                System.err.println("soak remote: " + name(stream) + " stopped producing at " + seq + ": " + e.reason()
                        + " " + e.getMessage());
            }
        }
    }
}
