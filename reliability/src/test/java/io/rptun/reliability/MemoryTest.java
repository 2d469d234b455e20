package io.rptun.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import io.rptun.core.lifecycle.Rptun;
import io.rptun.core.rpmsg.RpmsgDevice;
import io.rptun.core.rpmsg.RpmsgEndpoint;
import io.rptun.core.rpmsg.RpmsgListener;
import io.rptun.core.rpmsg.RpmsgMessage;
import io.rptun.reactive.ChannelStats;
import io.rptun.reactive.RpmsgChannel;
import io.rptun.reactive.RpmsgReactive;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.reactivestreams.Subscription;
import reactor.core.publisher.BaseSubscriber;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * Issue 9, section 4: a remote producing as fast as it can into a host consumer at least 100 times slower
 * (its pace is set from the producer's measured free-running rate, and never faster than one message per
 * ms), for {@value #SHORT_SECONDS} s in the short form and {@value #LONG_SECONDS} s in the long one
 * ({@code -Drptun.memory.seconds=N}). Every second: the host's heap after a full GC, its carveout heap's
 * bytes in use, TX buffers carved, RX buffers held. The end of the run uses no more than its start (heap
 * within {@value #HEAP_MARGIN_MIB} MiB, shared memory not a byte more), the producer sent exactly what the
 * consumer took (it was slowed, not buffered for), and nothing was dropped under the default policy.
 *
 * <p>The reactive path ({@code receive()} with a paced subscriber under the default policy: the bound held
 * zero-copy, then copies up to the channel's copy budget, then the link paused) is the main one; the core path
 * (a listener that holds messages in a bounded queue and pauses the endpoint's delivery when it is full)
 * shows the same property one layer down.
 */
@Timeout(value = 1, unit = TimeUnit.HOURS) // a hang guard sized for the long form; every wait below is bounded
class MemoryTest {
    static final int SHORT_SECONDS = 20;
    static final int LONG_SECONDS = 180;
    static final long HEAP_MARGIN_MIB = 10;
    /** How long the consumer first keeps up, to measure the producer's own rate. */
    private static final Duration FREE_RUN = Duration.ofSeconds(2);
    /** Messages the core consumer holds before it pauses delivery (the reactive layer's default bound). */
    private static final int CORE_BOUND = 16;
    private static final Duration WAIT = Duration.ofSeconds(60);

    private final ReliabilityLink link = ReliabilityLink.of("memory", false, MemoryRemoteServices.class);

    @AfterEach
    void cleanUp() throws Exception {
        link.close();
        assertThat(link.path()).doesNotExist();
    }

    static Duration slowPhase(int shortSeconds) {
        return Duration.ofSeconds(Long.getLong("rptun.memory.seconds", Scale.pick(shortSeconds, LONG_SECONDS)));
    }

    @Test
    void aReactiveSubscriberAHundredTimesSlowerThanItsProducerKeepsMemoryFlatSlowsItAndLosesNothing() throws Exception {
        Rptun host = link.start();
        RpmsgReactive rpmsg = RpmsgReactive.create(host);
        RpmsgChannel channel = rpmsg.open(MemoryRemoteServices.NAME, ReliabilityLink.BOOT).block(ReliabilityLink.BOOT);
        assertThat(channel).isNotNull();
        ProducerStream stream = new ProducerStream();
        PacedSubscriber subscriber = new PacedSubscriber(stream);
        channel.receive().subscribe(subscriber);
        try {
            channel.sendBytes(Mono.just(SoakProtocol.control(SoakProtocol.START, 0, 0, 0, 0))).then().block(WAIT);
            Result r = run("reactive", host.device(), stream, subscriber::pace, () -> channel.stats().held(),
                    slowPhase(SHORT_SECONDS), () -> channel.sendBytes(Mono.just(SoakProtocol.control(SoakProtocol.STOP,
                            0, 0))).then().block(WAIT));
            ChannelStats stats = channel.stats();
            assertThat(stats.dropped()).as("dropped by the channel").isZero();
            assertThat(stats.maxCopiedBytes()).as("copied past the bound: within the channel's copy budget")
                    .isLessThanOrEqualTo(rpmsg.options().copyBudget());
            assertThat(stats.maxHeld()).as("held at most the bound").isLessThanOrEqualTo(rpmsg.options().receiveBound());
            assertThat(stats.pauses()).as("the channel paused the remote").isPositive();
            System.out.println(r.summary() + "; the channel paused delivery " + stats.pauses() + " times, held at most "
                    + stats.maxHeld() + ", copied at most " + stats.maxCopiedBytes() + " bytes");
        } finally {
            subscriber.dispose();
        }
        channel.close().block(WAIT);
        assertThat(host.device().heldRxBuffers()).as("every RX buffer is back").isZero();
    }

    @Test
    void aCoreEndpointThatPausesDeliveryForASlowConsumerKeepsMemoryFlatSlowsItsProducerAndLosesNothing() throws Exception {
        Rptun host = link.start();
        RpmsgDevice device = host.device();
        ProducerStream stream = new ProducerStream();
        PausingQueue queue = new PausingQueue();
        RpmsgEndpoint ep = device.createEndpoint(MemoryRemoteServices.NAME, queue);
        assertThat(ep.awaitBound(ReliabilityLink.BOOT)).isTrue();
        ReliabilityThreads consumer = new ReliabilityThreads("memory-core-consumer");
        try {
            CompletableFuture<Void> consuming = consumer.start(() -> queue.consume(ep, stream));
            ep.send(SoakProtocol.control(SoakProtocol.START, 0, 0, 0, 0));
            Result r = run("core", device, stream, queue::pace, queue.queue::size, slowPhase(SHORT_SECONDS / 2),
                    () -> ep.send(SoakProtocol.control(SoakProtocol.STOP, 0, 0)));
            consuming.get(WAIT.toSeconds(), TimeUnit.SECONDS);
            System.out.println(r.summary() + "; the endpoint paused delivery " + queue.pauses + " times");
            assertThat(queue.pauses).as("the consumer paused delivery").isPositive();
        } finally {
            consumer.interruptAll();
        }
        assertThat(device.heldRxBuffers()).as("every RX buffer is back").isZero();
    }

    /** What one run measured. */
    private record Result(String what, double freeRate, long paceNanos, double slowRate, long sent, long consumed,
            double blockedShare, MemorySampler sampler, long remoteHeapFirst, long remoteHeapLast, long seconds) {
        String summary() {
            return String.format("MEMORY %s: %d s at a consumer pace of %.2f ms (%.0f msg/s) against a producer that"
                    + " ran at %,.0f msg/s when free (%.0fx); producer sent %,d, consumer took %,d, producer waited"
                    + " for TX buffers %.1f%% of the time; host heap after GC: first third max %.1f MiB, last third"
                    + " max %.1f MiB; carveout bytes used %d -> %d; TX buffers %d -> %d; RX held max %d;"
                    + " remote heap %.1f -> %.1f MiB; %d samples; 0 lost, 0 dropped", what, seconds, paceNanos / 1e6,
                    slowRate, freeRate, freeRate / slowRate, sent, consumed, 100 * blockedShare,
                    sampler.firstThirdMax(MemorySampler.Sample::heapAfterGc) / 1048576.0,
                    sampler.lastThirdMax(MemorySampler.Sample::heapAfterGc) / 1048576.0,
                    sampler.firstThirdMax(MemorySampler.Sample::carveoutBytesUsed),
                    sampler.lastThirdMax(MemorySampler.Sample::carveoutBytesUsed),
                    sampler.firstThirdMax(MemorySampler.Sample::txBuffersAllocated),
                    sampler.lastThirdMax(MemorySampler.Sample::txBuffersAllocated),
                    sampler.max(MemorySampler.Sample::heldRxBuffers), remoteHeapFirst / 1048576.0,
                    remoteHeapLast / 1048576.0, sampler.samples().size());
        }
    }

    /** Something the test can block on that may throw. */
    @FunctionalInterface
    private interface Action {
        void run() throws Exception;
    }

    /**
     * Lets the consumer keep up for {@link #FREE_RUN} (the producer's own rate), then paces it 100 times
     * slower for {@code slow}, sampling every second; then stops the producer and checks everything.
     */
    private Result run(String what, RpmsgDevice device, ProducerStream stream, java.util.function.LongConsumer pace,
            java.util.function.IntSupplier consumerHeld, Duration slow, Action stop) throws Exception {
        pace.accept(0);
        long c0 = stream.consumed.get();
        long t0 = System.nanoTime();
        LockSupport.parkNanos(FREE_RUN.toNanos()); // a measurement window, not synchronisation
        double freeRate = (stream.consumed.get() - c0) * 1e9 / (System.nanoTime() - t0);
        assertThat(freeRate).as("the producer got going").isPositive();
        long paceNanos = Math.max(1_000_000, (long) Math.ceil(100 * 1e9 / freeRate));
        pace.accept(paceNanos);

        MemorySampler sampler = new MemorySampler(device, consumerHeld, stream.consumed::get);
        long slowStart = System.nanoTime();
        long cSlow = stream.consumed.get();
        long end = slowStart + slow.toNanos();
        for (long next = slowStart + 1_000_000_000L; ; next += 1_000_000_000L) {
            LockSupport.parkNanos(next - System.nanoTime()); // the sampling period
            sampler.sample();
            assertThat(stream.failure).as("the consumer's stream").isNull();
            if (next - end >= 0) {
                break;
            }
        }
        double slowRate = (stream.consumed.get() - cSlow) * 1e9 / (System.nanoTime() - slowStart);
        stop.run();
        long[] report = stream.ended.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        long sent = report[MemoryRemoteServices.SENT];
        double blockedShare = report[MemoryRemoteServices.BLOCKED_NANOS] / (double) report[MemoryRemoteServices.ELAPSED_NANOS];

        assertThat(stream.failure).as("the consumer's stream").isNull();
        assertThat(stream.lost).as("lost (gaps in the sequence)").isZero();
        assertThat(stream.outOfOrder).as("duplicated or reordered").isZero();
        assertThat(stream.corrupt).as("corrupt").isZero();
        assertThat(stream.consumed.get()).as("the consumer took exactly what the producer sent").isEqualTo(sent);
        assertThat(device.stats().dropped()).as("dropped by the host's device").isEmpty();
        assertThat(blockedShare).as("the producer spent most of its time waiting for the consumer").isGreaterThan(0.5);

        long heapMargin = HEAP_MARGIN_MIB << 20;
        assertThat(sampler.samples()).as("samples").hasSizeGreaterThanOrEqualTo(3);
        assertThat(sampler.lastThirdMax(MemorySampler.Sample::heapAfterGc)).as("host heap after GC, end vs start")
                .isLessThanOrEqualTo(sampler.firstThirdMax(MemorySampler.Sample::heapAfterGc) + heapMargin);
        assertThat(sampler.lastThirdMax(MemorySampler.Sample::carveoutBytesUsed)).as("carveout bytes used, end vs start")
                .isLessThanOrEqualTo(sampler.firstThirdMax(MemorySampler.Sample::carveoutBytesUsed));
        assertThat(sampler.lastThirdMax(MemorySampler.Sample::txBuffersAllocated)).as("TX buffers carved, end vs start")
                .isLessThanOrEqualTo(sampler.firstThirdMax(MemorySampler.Sample::txBuffersAllocated));
        assertThat(sampler.max(MemorySampler.Sample::consumerHeld)).as("messages the consumer held")
                .isLessThanOrEqualTo(CORE_BOUND);
        // The bound counts what waits in the queue; the message being consumed (taken off the queue, its
        // buffer given back once the consumer is done with it) is one more, in both paths.
        assertThat(sampler.max(MemorySampler.Sample::heldRxBuffers)).as("RX buffers held: the queue and the one"
                + " being consumed").isLessThanOrEqualTo(CORE_BOUND + 1);
        long remoteFirst = report[MemoryRemoteServices.HEAP_FIRST_THIRD_MAX];
        long remoteLast = report[MemoryRemoteServices.HEAP_LAST_THIRD_MAX];
        assertThat(remoteLast).as("remote heap after GC, end vs start").isLessThanOrEqualTo(remoteFirst + heapMargin);
        return new Result(what, freeRate, paceNanos, slowRate, sent, stream.consumed.get(), blockedShare, sampler,
                remoteFirst, remoteLast, slow.toSeconds());
    }

    /**
     * The host's check of the producer's stream: sequence numbers contiguous from 0, every CRC right. Fed by
     * one thread at a time (the subscriber's serialised onNext, or the core consumer thread).
     */
    static final class ProducerStream {
        final AtomicLong consumed = new AtomicLong();
        final CompletableFuture<long[]> ended = new CompletableFuture<>();
        volatile long lost;
        volatile long outOfOrder;
        volatile long corrupt;
        volatile @Nullable Throwable failure;
        private long next;

        /** True at END. */
        boolean accept(MemorySegment m) {
            if (!SoakProtocol.intact(m) || SoakProtocol.stream(m) != 0) {
                corrupt++;
                return false;
            }
            if (SoakProtocol.type(m) == SoakProtocol.END) {
                long[] values = new long[SoakProtocol.values(m)];
                for (int i = 0; i < values.length; i++) {
                    values[i] = SoakProtocol.value(m, i);
                }
                ended.complete(values);
                return true;
            }
            long seq = SoakProtocol.seq(m);
            if (seq == next) {
                next++;
            } else if (seq > next) {
                lost += seq - next;
                next = seq + 1;
            } else {
                outOfOrder++;
            }
            consumed.incrementAndGet();
            return false;
        }

        void fail(Throwable e) {
            failure = e;
            ended.completeExceptionally(e);
        }
    }

    /** Takes one message, then asks for the next one only after the pace (0: at once). */
    static final class PacedSubscriber extends BaseSubscriber<RpmsgMessage> {
        private final ProducerStream stream;
        private volatile long paceNanos;

        PacedSubscriber(ProducerStream stream) {
            this.stream = stream;
        }

        void pace(long nanos) {
            paceNanos = nanos;
        }

        @Override
        protected void hookOnSubscribe(Subscription subscription) {
            request(1);
        }

        @Override
        protected void hookOnNext(RpmsgMessage msg) {
            if (stream.accept(msg.payload())) {
                cancel();
                return;
            }
            long p = paceNanos;
            if (p == 0) {
                request(1);
            } else {
                Schedulers.parallel().schedule(() -> request(1), p, TimeUnit.NANOSECONDS);
            }
        }

        @Override
        protected void hookOnError(Throwable e) {
            stream.fail(e);
        }
    }

    /**
     * The core path: the listener holds each message (no copy) in a queue of {@link #CORE_BOUND} and pauses
     * the endpoint's delivery when it is full; a consumer thread takes one per pace, releases it, and resumes
     * delivery at half the bound. The listener pauses before it reads the size, the consumer takes before it
     * reads the flag (both through the queue's lock), so delivery never stays paused on a drained queue.
     */
    static final class PausingQueue implements RpmsgListener {
        final ArrayBlockingQueue<RpmsgMessage> queue = new ArrayBlockingQueue<>(CORE_BOUND);
        volatile long paceNanos;
        volatile long pauses;

        void pace(long nanos) {
            paceNanos = nanos;
        }

        @Override
        public void onMessage(RpmsgEndpoint ep, RpmsgMessage msg) {
            queue.add(msg.hold()); // never full: delivery pauses at the bound
            if (queue.remainingCapacity() == 0) {
                ep.pauseDelivery();
                pauses++;
                if (queue.size() <= CORE_BOUND / 2) {
                    ep.resumeDelivery();
                }
            }
        }

        void consume(RpmsgEndpoint ep, ProducerStream stream) throws InterruptedException {
            while (true) {
                RpmsgMessage msg = queue.poll(100, TimeUnit.MILLISECONDS);
                if (msg == null) {
                    if (ep.isDeliveryPaused()) {
                        ep.resumeDelivery();
                    }
                    continue;
                }
                boolean end;
                try {
                    end = stream.accept(msg.payload());
                } finally {
                    msg.release();
                }
                if (ep.isDeliveryPaused() && queue.size() <= CORE_BOUND / 2) {
                    ep.resumeDelivery();
                }
                if (end) {
                    return;
                }
                long p = paceNanos;
                if (p > 0) {
                    LockSupport.parkNanos(p); // the slow consumer's work
                }
            }
        }
    }
}
