package io.rptun.reactive;

import static org.assertj.core.api.Assertions.assertThat;

import io.rptun.core.lifecycle.Rptun;
import io.rptun.core.lifecycle.RptunOptions;
import io.rptun.core.rpmsg.RpmsgException;
import io.rptun.core.rpmsg.RpmsgMessage;
import io.rptun.sim.RemoteServices;
import io.rptun.sim.SimDriver;
import io.rptun.sim.SimFile;
import io.rptun.sim.SimOptions;
import io.rptun.sim.SimRemote;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.reactivestreams.Subscription;
import reactor.core.publisher.BaseSubscriber;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Issue 24: one channel whose receiver stops reading must not stop the other channels of the link under the
 * default options. A host and a simulated remote in this JVM; the remote serves the built-in echo and a
 * "sensor" that sends as many readings as it is asked for. Channel A ({@code open("sensor")}) asks for
 * readings and requests one (or none); channel B ({@code open("rptun-echo")}) sends 10,000 messages and counts
 * the echoes. Deadlines here only detect stalls.
 */
@Timeout(120)
class UnreadChannelTest {
    static final String SENSOR = "sensor";
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final int READINGS = 1_000;
    private static final int ECHOES = 10_000;
    /** Bytes of one reading: its sequence number, then padding. */
    private static final int READING_SIZE = 16;
    private static final long READING_CHARGE = READING_SIZE + ReactiveOptions.COPY_OVERHEAD;
    private static final AtomicInteger FILES = new AtomicInteger();

    private final Path path = SimFile.shmPath("rptun-unread-" + ProcessHandle.current().pid() + "-"
            + FILES.incrementAndGet());
    private final SimOptions simOptions = SimOptions.defaults("unread").withPath(path);
    private final List<Thread> sensorThreads = new CopyOnWriteArrayList<>();
    private final AtomicLong readingsSent = new AtomicLong();
    private Rptun host;
    private SimRemote remote;
    private RpmsgReactive rpmsg;

    /** How the budgets run out in the tests where the link pauses. */
    enum Exhausted {
        /** A's copy budget is spent (the device's is the default). */
        CHANNEL_BUDGET(ReactiveOptions.defaults().withCopyBudget(100 * READING_CHARGE)),
        /** The device budget is spent (A's own is the default). */
        DEVICE_BUDGET(ReactiveOptions.defaults().withDeviceCopyBudget(100 * READING_CHARGE)),
        /** PAUSE: no copies at all, the link pauses at A's bound. */
        PAUSE_CHOSEN(ReactiveOptions.defaults().withOverflow(ReceiveOverflow.PAUSE));

        final ReactiveOptions options;

        Exhausted(ReactiveOptions options) {
            this.options = options;
        }
    }

    private void start(ReactiveOptions options) {
        host = Rptun.create(SimDriver.host(simOptions, null), RptunOptions.defaults().withReadyTimeout(WAIT));
        remote = SimRemote.start(simOptions, true, false, List.of(sensor()));
        host.start();
        rpmsg = RpmsgReactive.create(host, options);
    }

    @AfterEach
    void stop() throws Exception {
        try {
            if (rpmsg != null) {
                rpmsg.dispose();
            }
            if (remote != null) {
                remote.close();
            }
            if (host != null) {
                host.close();
            }
            for (Thread t : sensorThreads) {
                assertThat(t.join(WAIT)).as("the sensor stopped").isTrue();
            }
        } finally {
            Files.deleteIfExists(path);
        }
        assertThat(path).doesNotExist();
    }

    /**
     * The remote's sensor: each message from the host (an int count) makes it send that many readings
     * (0, 1, 2, ...) to the sender, with blocking sends on a thread of its own (it waits for TX buffers
     * whenever the host is behind), until the link goes away.
     */
    private RemoteServices sensor() {
        return device -> device.createEndpoint(SENSOR, (ep, msg) -> {
            int count = msg.getIntLE(0);
            int dst = msg.src();
            sensorThreads.add(Thread.ofPlatform().daemon().name("sensor").start(() -> {
                try {
                    for (int i = 0; i < count; i++) {
                        ep.sendTo(dst, ByteBuffer.allocate(READING_SIZE).order(ByteOrder.LITTLE_ENDIAN).putInt(0, i)
                                .array());
                        readingsSent.incrementAndGet();
                    }
                } catch (RpmsgException e) {
                    // the link closed under it: the test is over
                }
            }));
        });
    }

    private static byte[] intBytes(int v) {
        return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(0, v).array();
    }

    /** A's receiver: requests what the test says and records the sequence numbers it got. */
    private static final class Reader extends BaseSubscriber<RpmsgMessage> {
        final List<Integer> got = new CopyOnWriteArrayList<>();
        private final long initial;

        Reader(long initial) {
            this.initial = initial;
        }

        @Override
        protected void hookOnSubscribe(Subscription subscription) {
            if (initial > 0) {
                request(initial);
            }
        }

        @Override
        protected void hookOnNext(RpmsgMessage m) {
            got.add(m.getIntLE(0));
        }
    }

    /** Opens A, subscribes {@code reader} and asks the sensor for {@code readings}. */
    private RpmsgChannel startSensor(Reader reader, int readings) {
        RpmsgChannel a = rpmsg.open(SENSOR, WAIT).block(WAIT);
        assertThat(a).isNotNull();
        a.receive().subscribe(reader);
        a.sendBytes(Mono.just(intBytes(readings))).then().block(WAIT);
        return a;
    }

    /** Opens B and sends {@link #ECHOES} messages through the echo; completes with the echoes, in order received. */
    private CompletableFuture<List<Integer>> echoes() {
        RpmsgChannel b = rpmsg.open(SimRemote.ECHO, WAIT).block(WAIT);
        assertThat(b).isNotNull();
        CompletableFuture<List<Integer>> got = b.receive().map(m -> m.getIntLE(0)).take(ECHOES).collectList().toFuture();
        b.sendBytes(Flux.range(0, ECHOES).map(UnreadChannelTest::intBytes)).then().subscribe();
        return got;
    }

    private static List<Integer> upTo(int n) {
        return IntStream.range(0, n).boxed().toList();
    }

    private static void await(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime() - deadline).as(what).isNegative();
            LockSupport.parkNanos(1_000_000);
        }
    }

    @Test
    void withTheDefaultsTheEchoChannelGetsAllItsEchoesWhileTheSensorChannelIsNeverRead() throws Exception {
        start(ReactiveOptions.defaults());
        Reader reader = new Reader(1);
        RpmsgChannel a = startSensor(reader, READINGS);
        CompletableFuture<List<Integer>> echoes = echoes();

        assertThat(echoes.get(WAIT.toSeconds(), TimeUnit.SECONDS)).containsExactlyElementsOf(upTo(ECHOES));
        await("every reading arrived at A", () -> a.stats().delivered() + a.stats().held() + a.stats().copied() == READINGS);
        ChannelStats stats = a.stats();
        assertThat(reader.got).containsExactly(0);
        assertThat(stats.pauses()).as("A never paused the link").isZero();
        assertThat(stats.pausing()).isFalse();
        assertThat(stats.held()).as("zero-copy up to the bound").isEqualTo(rpmsg.options().receiveBound());
        assertThat(stats.copiedBytes()).as("the rest copied, within the budget")
                .isEqualTo(stats.copied() * READING_CHARGE)
                .isLessThanOrEqualTo(rpmsg.options().copyBudget());
        assertThat(rpmsg.copiedBytes()).isEqualTo(stats.copiedBytes());
        assertThat(host.device().heldRxBuffers()).as("only A's bound is kept from the remote")
                .isEqualTo(rpmsg.options().receiveBound());

        reader.request(READINGS);
        await("A read the rest", () -> reader.got.size() == READINGS);
        assertThat(reader.got).as("nothing lost or reordered on A").containsExactlyElementsOf(upTo(READINGS));
        assertThat(a.stats().dropped()).isZero();
        assertThat(rpmsg.copiedBytes()).isZero();
        ReactiveTestSupport.assertNoHeldBuffers(a);
    }

    @ParameterizedTest
    @EnumSource(Exhausted.class)
    void withTheBudgetsSpentTheLinkPausesAndResumesIntactWhenTheSensorChannelReadsAgain(Exhausted exhausted)
            throws Exception {
        start(exhausted.options);
        Reader reader = new Reader(1);
        RpmsgChannel a = startSensor(reader, READINGS);
        await("A paused the link", () -> a.stats().pausing());
        CompletableFuture<List<Integer>> echoes = echoes();
        ChannelStats paused = a.stats();
        assertThat(paused.pauses()).isEqualTo(1);
        assertThat(readingsSent.get()).as("the sensor waits for the link").isLessThan(READINGS);
        assertThat(paused.held()).isLessThanOrEqualTo(rpmsg.options().receiveBound());
        if (exhausted == Exhausted.PAUSE_CHOSEN) {
            assertThat(paused.copied()).as("PAUSE copies nothing").isZero();
        } else {
            assertThat(paused.copiedBytes()).isPositive().isLessThanOrEqualTo(100 * READING_CHARGE);
        }

        reader.request(Long.MAX_VALUE);
        assertThat(echoes.get(WAIT.toSeconds(), TimeUnit.SECONDS)).containsExactlyElementsOf(upTo(ECHOES));
        await("A read everything", () -> reader.got.size() == READINGS);
        assertThat(reader.got).as("nothing lost or reordered on A").containsExactlyElementsOf(upTo(READINGS));
        ChannelStats after = a.stats();
        assertThat(after.pausing()).isFalse();
        assertThat(after.dropped()).isZero();
        assertThat(after.maxHeld()).isLessThanOrEqualTo(rpmsg.options().receiveBound());
        assertThat(after.maxCopiedBytes()).isLessThanOrEqualTo(100 * READING_CHARGE);
        assertThat(rpmsg.copiedBytes()).isZero();
        ReactiveTestSupport.assertNoHeldBuffers(a);
    }

    @ParameterizedTest
    @EnumSource(Exhausted.class)
    void whenTheSensorChannelIsCancelledItsHeldMessagesAreReleasedAndTheEchoChannelIsUnaffected(Exhausted exhausted)
            throws Exception {
        start(exhausted.options);
        Reader reader = new Reader(1);
        RpmsgChannel a = startSensor(reader, READINGS);
        await("A paused the link", () -> a.stats().pausing());
        CompletableFuture<List<Integer>> echoes = echoes();

        reader.cancel();
        assertThat(echoes.get(WAIT.toSeconds(), TimeUnit.SECONDS)).containsExactlyElementsOf(upTo(ECHOES));
        await("the sensor sent everything", () -> readingsSent.get() == READINGS);
        // What A queued was released at the cancel; what came afterwards was dropped as it arrived.
        await("A dropped what came after the cancel", () -> a.stats().dropped() > 0);
        ChannelStats after = a.stats();
        assertThat(after.pausing()).isFalse();
        assertThat(after.held()).as("held messages released").isZero();
        assertThat(after.copied()).as("copies released").isZero();
        assertThat(after.delivered()).isEqualTo(1);
        assertThat(rpmsg.copiedBytes()).as("the device budget is back").isZero();
        assertThat(reader.got).containsExactly(0);
        ReactiveTestSupport.assertNoHeldBuffers(host.device());
    }

    @Test
    void withTheDefaultsAnUnreadChannelIsCancelledAndEverythingItHeldIsReleased() throws Exception {
        start(ReactiveOptions.defaults());
        Reader reader = new Reader(0);
        RpmsgChannel a = startSensor(reader, READINGS);
        await("every reading arrived at A", () -> a.stats().held() + a.stats().copied() == READINGS);
        assertThat(a.stats().pauses()).isZero();
        assertThat(rpmsg.copiedBytes()).isPositive();

        reader.cancel();
        CompletableFuture<List<Integer>> echoes = echoes();
        assertThat(echoes.get(WAIT.toSeconds(), TimeUnit.SECONDS)).containsExactlyElementsOf(upTo(ECHOES));
        ReactiveTestSupport.assertNoHeldBuffers(a);
        assertThat(rpmsg.copiedBytes()).isZero();
        assertThat(reader.got).isEmpty();
    }

    /** The receiving policies A is checked under for order: the default, a tiny budget (copies and pauses), PAUSE. */
    enum Policy {
        DEFAULT(ReactiveOptions.defaults()),
        TINY_BUDGET(ReactiveOptions.defaults().withCopyBudget(8 * READING_CHARGE)),
        PAUSE(ReactiveOptions.defaults().withOverflow(ReceiveOverflow.PAUSE));

        final ReactiveOptions options;

        Policy(ReactiveOptions options) {
            this.options = options;
        }
    }

    @ParameterizedTest
    @EnumSource(Policy.class)
    void aReceiverThatReadsInFitsAndStartsLosesNothingAndGetsEverythingInOrder(Policy policy) throws Exception {
        start(policy.options);
        int total = 5_000;
        Reader reader = new Reader(0);
        RpmsgChannel a = startSensor(reader, total);
        CompletableFuture<List<Integer>> echoes = echoes();
        long seed = 24;
        while (reader.got.size() < total) {
            int before = reader.got.size();
            // Stall until A queues something (or everything has arrived), then read a burst.
            await("A has something queued", () -> a.stats().held() + a.stats().copied() > 0
                    || reader.got.size() + a.stats().held() + a.stats().copied() == total);
            seed = seed * 6364136223846793005L + 1442695040888963407L;
            int burst = 1 + (int) ((seed >>> 33) % 200);
            reader.request(burst);
            await("the burst arrived", () -> reader.got.size() >= Math.min(total, before + burst));
        }
        assertThat(reader.got).as("nothing lost or reordered on A").containsExactlyElementsOf(upTo(total));
        assertThat(echoes.get(WAIT.toSeconds(), TimeUnit.SECONDS)).containsExactlyElementsOf(upTo(ECHOES));
        ChannelStats stats = a.stats();
        assertThat(stats.dropped()).isZero();
        assertThat(stats.maxHeld()).isLessThanOrEqualTo(policy.options.receiveBound());
        assertThat(stats.maxCopiedBytes()).isLessThanOrEqualTo(policy.options.copyBudget());
        if (policy == Policy.PAUSE) {
            assertThat(stats.maxCopiedBytes()).isZero();
        }
        ReactiveTestSupport.assertNoHeldBuffers(a);
    }
}
