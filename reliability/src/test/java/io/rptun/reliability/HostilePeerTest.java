package io.rptun.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import io.rptun.core.loopback.RpmsgLoopback;
import io.rptun.core.rpmsg.RpmsgEndpoint;
import io.rptun.reliability.HostileKind.Expect;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A hostile peer: while traffic runs both ways over a simulated link (a host {@code Rptun} over
 * {@code SimDriver.host}, a {@code SimRemote} in a thread of this JVM over the same {@code /dev/shm} file),
 * a scribbler thread writes adversarial values into the shared memory, one {@link HostileKind} per run, at a
 * random point, for a burst of random length. Whatever it writes, every run shows that
 * <ul>
 * <li>nothing crashed: no uncaught exception on any thread, no ERROR logged (the RPTUN serving loop logs an
 *     unexpected exception from the device there) and no WARN carrying a throwable, no send that threw
 *     anything but an {@code RpmsgException};</li>
 * <li>nothing hung: both senders stop (a send returns within the send timeout), both sides close, every
 *     thread of the link ends and the file is removed;</li>
 * <li>no buffer handed to a user lies outside the carveout, and every message is exactly its header's length;</li>
 * <li>the traffic before the corruption was perfect (intact, in order), and every message accepted by a send
 *     either arrived intact or some side reported a typed error (a broken device with its ring violation, a
 *     lost peer, a counted drop, a failed send, a forged message delivered as the peer wrote it);</li>
 * <li>a field nobody re-reads while running ({@link Expect#UNAFFECTED}) changes nothing at all, and a write
 *     that cannot go unnoticed ({@link Expect#TYPED}) is reported.</li>
 * </ul>
 * The normal build runs {@value #SHORT_SEEDS} fixed seeds per kind; {@code -Preliability-long} runs
 * {@value #LONG_SEEDS} random ones (logged); {@code -Drptun.hostile.seed=N} replays one seed for every kind, and
 * {@code -Drptun.hostile.kinds=USED_IDX,NS_FLOOD} runs only the kinds named.
 */
@Timeout(120)
class HostilePeerTest {
    private static final int SHORT_SEEDS = 2;
    private static final int LONG_SEEDS = 25;
    /** Generous: a hang guard, far above the 1 s send timeout. */
    private static final Duration STOP_LIMIT = Duration.ofSeconds(15);
    private static final Map<HostileKind, Summary> SUMMARY = new ConcurrentHashMap<>();
    private static final ConcurrentLinkedQueue<String> UNCAUGHT = new ConcurrentLinkedQueue<>();
    private static Thread.UncaughtExceptionHandler previousHandler;

    /** What the runs of one kind did, for the report. */
    private static final class Summary {
        int runs;
        long writes;
        long delivered;
        long missing;
        Duration longestSend = Duration.ZERO;
        final Map<String, Long> typed = new TreeMap<>();
    }

    @BeforeAll
    static void watchEveryThread() {
        previousHandler = Thread.getDefaultUncaughtExceptionHandler();
        Thread.setDefaultUncaughtExceptionHandler((t, e) -> UNCAUGHT.add(t.getName() + ": " + e));
    }

    @AfterAll
    static void report() {
        Thread.setDefaultUncaughtExceptionHandler(previousHandler);
        StringBuilder b = new StringBuilder(
                "hostile peer: kind (victim), runs, writes, delivered intact, missing, longest send (ms), typed errors"
                        + "\n");
        for (HostileKind kind : HostileKind.values()) {
            Summary s = SUMMARY.get(kind);
            if (s != null) {
                b.append(String.format("  %-14s %-6s %3d %6d %8d %6d %5d %s%n", kind, kind.victim(), s.runs, s.writes,
                        s.delivered, s.missing, s.longestSend.toMillis(), s.typed));
            }
        }
        System.out.print(b);
    }

    static Stream<Arguments> runs() {
        String replay = System.getProperty("rptun.hostile.seed");
        String only = System.getProperty("rptun.hostile.kinds", "");
        List<Arguments> out = new ArrayList<>();
        Random seeds = new Random();
        for (HostileKind kind : HostileKind.values()) {
            if (!only.isEmpty() && !List.of(only.split(",")).contains(kind.name())) {
                continue;
            }
            if (replay != null) {
                out.add(Arguments.of(kind, Long.decode(replay)));
                continue;
            }
            for (int i = 0; i < Scale.pick(SHORT_SEEDS, LONG_SEEDS); i++) {
                long fixed = 0x5EED_0000L + 0x100L * kind.ordinal() + i;
                out.add(Arguments.of(kind, Scale.isLong() ? seeds.nextLong() : fixed));
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0} seed {1}")
    @MethodSource("runs")
    void aHostilePeerWritingTheSharedMemoryMidTrafficMeetsOnlyTypedErrorsAndLosesNothingSilently(HostileKind kind,
            long seed) throws Exception {
        assertThat(HostileLogCapture.isInstalled()).as("the log capture (slf4j.provider) is installed").isTrue();
        Random random = new Random(seed);
        long logMark = HostileLogCapture.mark();
        int uncaughtBefore = UNCAUGHT.size();
        String id = Long.toHexString(seed) + "-" + kind.ordinal() + "-"
                + Long.toHexString(System.nanoTime() & 0xFFFFFF);
        long writes = 0;
        Map<String, Long> typed;
        HostileLink link = new HostileLink(id, seed);
        try {
            link.startTraffic();
            // A random point: after 1..K messages each way went through intact.
            long warm = random.nextLong(1, Scale.pick(300, 3000));
            awaitIntact(link, warm);
            link.markCorrupted();
            int burst = random.nextInt(1, Scale.pick(120, 600));
            for (int i = 0; i < burst; i++) {
                kind.scribble(link.memory(), link, random);
                writes++;
                LockSupport.parkNanos(random.nextLong(1_000, 1_000_000));
            }
            // Let the link run on the corrupted memory, then stop and let what is in flight arrive.
            LockSupport.parkNanos(Duration.ofMillis(300).toNanos());
            assertThat(link.stopTraffic(STOP_LIMIT)).as("both senders stopped (no send hangs)").isTrue();
            awaitQuiet(link);
            typed = link.typedErrors();
            // A write that cannot go unnoticed must be reported within a bound: the watchdog looks every liveness / 5.
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (kind.expect() == Expect.TYPED && typed.isEmpty() && System.nanoTime() < deadline) {
                LockSupport.parkNanos(20_000_000);
                typed = link.typedErrors();
            }
            assertRun(kind, link, typed);
        } finally {
            link.close();
        }
        assertThat(link.fileRemoved()).as("the shared file is removed").isTrue();
        awaitNoThreads(link);
        assertThat(new ArrayList<>(UNCAUGHT).subList(uncaughtBefore, UNCAUGHT.size())).as("uncaught exceptions")
                .isEmpty();
        assertThat(HostileLogCapture.since(logMark)).as("errors and exceptions logged").isEmpty();
        record(kind, writes, link, typed);
    }

    /** The control for the "nothing logged" check: a throwing callback is logged with its throwable, and seen. */
    @Test
    void theLogCaptureSeesAnExceptionThatOnlyTheServingThreadLogs() throws Exception {
        assertThat(HostileLogCapture.isInstalled()).as("the log capture (slf4j.provider) is installed").isTrue();
        long mark = HostileLogCapture.mark();
        java.util.concurrent.CountDownLatch thrown = new java.util.concurrent.CountDownLatch(1);
        try (RpmsgLoopback loop = RpmsgLoopback.start(RpmsgLoopback.table(8, 256))) {
            loop.remote().createEndpoint("boom", (ep, msg) -> {
                thrown.countDown();
                throw new IllegalStateException("a listener bug");
            });
            RpmsgEndpoint ep = loop.host().createEndpoint("boom", (e, msg) -> { });
            assertThat(ep.awaitBound(HostileLink.WAIT)).isTrue();
            ep.send(new byte[] {1});
            assertThat(thrown.await(HostileLink.WAIT.toSeconds(), java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        }
        assertThat(HostileLogCapture.since(mark)).anySatisfy(e -> {
            assertThat(e.level()).isEqualTo(org.slf4j.event.Level.WARN);
            assertThat(e.throwable()).isInstanceOf(IllegalStateException.class);
        });
    }

    private static void assertRun(HostileKind kind, HostileLink link, Map<String, Long> typed) {
        for (HostileTraffic t : List.of(link.toRemote, link.toHost)) {
            assertThat(t.untyped()).as("%s: sends that threw something untyped", t.name).isEmpty();
            assertThat(t.violations()).as("%s: what the receiver found", t.name).isEmpty();
            assertThat(t.maxSend()).as("%s: the longest send", t.name)
                    .isLessThan(HostileLink.SEND_TIMEOUT.plus(STOP_LIMIT));
            if (t.missing() > 0) {
                // A refused send (NO_TX_BUFFER) explains no loss: something must have failed or been dropped.
                assertThat(typed.keySet()).as("%s lost %d accepted messages (%d accepted before the corruption): %s",
                        t.name, t.missing(), t.missingBefore(), t)
                        .anyMatch(what -> !what.endsWith("send NO_TX_BUFFER"));
            }
        }
        switch (kind.expect()) {
            case UNAFFECTED -> {
                // A send that found no buffer within its timeout on a loaded machine is refused, not lost: allowed.
                assertThat(typed.keySet()).as("%s is not re-read while the link runs", kind)
                        .allMatch(what -> what.endsWith("send NO_TX_BUFFER"));
                assertThat(link.toRemote.missing() + link.toHost.missing()).as("missing").isZero();
            }
            case TYPED -> assertThat(typed).as("%s cannot go unnoticed", kind).isNotEmpty();
            case EITHER -> {
            }
        }
    }

    private static void awaitIntact(HostileLink link, long each) {
        long deadline = System.nanoTime() + HostileLink.WAIT.toNanos();
        while (link.toRemote.intact() < each || link.toHost.intact() < each) {
            assertThat(System.nanoTime() < deadline).as("traffic both ways before the corruption: %s; %s",
                    link.toRemote, link.toHost).isTrue();
            LockSupport.parkNanos(1_000_000);
        }
    }

    /** Waits until nothing more arrives for 300 ms (at most 5 s). */
    private static void awaitQuiet(HostileLink link) {
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        long last = -1;
        long quietSince = System.nanoTime();
        while (System.nanoTime() < deadline) {
            long now = link.toRemote.intact() + link.toHost.intact() + link.toRemote.forged() + link.toHost.forged();
            if (now != last) {
                last = now;
                quietSince = System.nanoTime();
            } else if (System.nanoTime() - quietSince > Duration.ofMillis(300).toNanos()) {
                return;
            }
            LockSupport.parkNanos(10_000_000);
        }
    }

    private static void awaitNoThreads(HostileLink link) {
        long deadline = System.nanoTime() + STOP_LIMIT.toNanos();
        List<String> live = link.liveThreads();
        while (!live.isEmpty() && System.nanoTime() < deadline) {
            LockSupport.parkNanos(10_000_000);
            live = link.liveThreads();
        }
        assertThat(live).as("threads of the link still running after close").isEmpty();
    }

    private static void record(HostileKind kind, long writes, HostileLink link, Map<String, Long> typed) {
        Summary s = SUMMARY.computeIfAbsent(kind, k -> new Summary());
        synchronized (s) {
            s.runs++;
            s.writes += writes;
            s.delivered += link.toRemote.intact() + link.toHost.intact();
            s.missing += link.toRemote.missing() + link.toHost.missing();
            for (Duration d : List.of(link.toRemote.maxSend(), link.toHost.maxSend())) {
                s.longestSend = d.compareTo(s.longestSend) > 0 ? d : s.longestSend;
            }
            typed.forEach((what, n) -> s.typed.merge(what, n, Long::sum));
        }
        System.out.println("hostile " + kind + ": " + writes + " writes; " + link.toRemote + "; " + link.toHost
                + "; typed " + Collections.unmodifiableMap(typed));
    }
}
