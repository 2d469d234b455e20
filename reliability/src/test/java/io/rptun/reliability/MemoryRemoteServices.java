package io.rptun.reliability;

import io.rptun.core.rpmsg.RpmsgDevice;
import io.rptun.core.rpmsg.RpmsgEndpoint;
import io.rptun.core.rpmsg.RpmsgException;
import io.rptun.core.rpmsg.RpmsgListener;
import io.rptun.core.rpmsg.RpmsgMessage;
import io.rptun.core.rpmsg.RpmsgTxBuffer;
import io.rptun.sim.RemoteServices;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The bounded-memory suite's remote, loaded by name in the child JVM: endpoint {@value #NAME} produces as
 * fast as it can. On START a thread sends numbered, checksummed DATA of mixed sizes in a tight loop (filling
 * TX buffers in place) until STOP; then END with what it measured: how many it sent, how long it waited for
 * TX buffers, and its own heap after GC at the start and end of the run.
 */
public final class MemoryRemoteServices implements RemoteServices {
    static final String NAME = "memory-producer";
    /** END's body: [sent, nanos waiting for TX buffers, nanos producing, heap samples, first-third max, last-third max]. */
    static final int SENT = 0;
    static final int BLOCKED_NANOS = 1;
    static final int ELAPSED_NANOS = 2;
    static final int HEAP_SAMPLES = 3;
    static final int HEAP_FIRST_THIRD_MAX = 4;
    static final int HEAP_LAST_THIRD_MAX = 5;
    private static final long SAMPLE_EVERY_NANOS = 2_000_000_000L;

    public MemoryRemoteServices() {
    }

    @Override
    public void register(RpmsgDevice device) {
        device.createEndpoint(NAME, new Producer());
    }

    /** Heap in use after a full GC: what is live. */
    static long heapAfterGc() {
        System.gc();
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    /** The largest of the first (or last) third of {@code samples}. */
    static long thirdMax(List<Long> samples, boolean last) {
        int third = Math.max(1, samples.size() / 3);
        List<Long> part = last ? samples.subList(samples.size() - third, samples.size()) : samples.subList(0, third);
        return part.stream().mapToLong(Long::longValue).max().orElse(0);
    }

    private static final class Producer implements RpmsgListener {
        private final AtomicBoolean started = new AtomicBoolean();
        private volatile boolean stop;

        @Override
        public void onMessage(RpmsgEndpoint ep, RpmsgMessage msg) {
            MemorySegment m = msg.payload();
            if (!SoakProtocol.intact(m)) {
                System.err.println("memory remote: a corrupt message from the host: " + msg);
                return;
            }
            switch (SoakProtocol.type(m)) {
                case SoakProtocol.START -> {
                    if (started.compareAndSet(false, true)) {
                        Thread.ofPlatform().daemon().name("memory-producer").start(() -> produce(ep));
                    }
                }
                case SoakProtocol.STOP -> stop = true;
                default -> System.err.println("memory remote: unexpected message " + SoakProtocol.type(m));
            }
        }

        private void produce(RpmsgEndpoint ep) {
            SplittableRandom random = new SplittableRandom(0x3E3E);
            List<Long> heap = new ArrayList<>();
            int max = ep.maxPayload();
            long sent = 0;
            long blocked = 0;
            try {
                if (!ep.awaitBound(Duration.ofSeconds(30))) {
                    System.err.println("memory remote: never bound");
                    return;
                }
                heap.add(heapAfterGc());
                long start = System.nanoTime();
                long nextSample = start + SAMPLE_EVERY_NANOS;
                while (!stop) {
                    long before = System.nanoTime();
                    if (before - nextSample >= 0) {
                        heap.add(heapAfterGc());
                        nextSample = System.nanoTime() + SAMPLE_EVERY_NANOS;
                        before = System.nanoTime();
                    }
                    RpmsgTxBuffer tx = ep.txBuffer();
                    blocked += System.nanoTime() - before;
                    int length = SoakProtocol.randomLength(random, max);
                    SoakProtocol.writeData(tx.payload(), 0, sent, length, random);
                    tx.send(length);
                    sent++;
                }
                long elapsed = System.nanoTime() - start;
                heap.add(heapAfterGc());
                ep.send(SoakProtocol.control(SoakProtocol.END, 0, sent, sent, blocked, elapsed, heap.size(),
                        thirdMax(heap, false), thirdMax(heap, true)));
            } catch (RpmsgException e) {
                System.err.println("memory remote: stopped producing at " + sent + ": " + e.reason() + " " + e.getMessage());
            }
        }
    }
}
