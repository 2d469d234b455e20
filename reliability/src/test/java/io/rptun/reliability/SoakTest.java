package io.rptun.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import io.rptun.core.lifecycle.Rptun;
import io.rptun.core.rpmsg.RpmsgDevice;
import io.rptun.core.rpmsg.RpmsgEndpoint;
import io.rptun.core.rpmsg.RpmsgListener;
import io.rptun.core.rpmsg.RpmsgMessage;
import io.rptun.core.rpmsg.RpmsgTxBuffer;
import io.rptun.reliability.SoakProtocol.Counts;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 9, section 1: eight endpoints between two JVMs, a stream each way on each, every message numbered
 * and checksummed, mixed sizes up to the maximum payload. The remote checks the host's streams and reports;
 * the host checks the remote's. Zero lost, duplicated, reordered or corrupt, each counted on its own.
 *
 * <p>Short form (normal build): {@value #SHORT} messages per endpoint and direction. Long form
 * ({@code -Preliability-long}): {@value #LONG}, or {@code -Drptun.soak.messages=N}.
 */
@Timeout(value = 4, unit = TimeUnit.HOURS) // a hang guard sized for the long form; every wait below is bounded
class SoakTest {
    static final int SHORT = 20_000;
    static final int LONG = 2_000_000;

    private final ReliabilityLink link = ReliabilityLink.of("soak", false, SoakRemoteServices.class);

    @AfterEach
    void cleanUp() throws Exception {
        link.close();
        assertThat(link.path()).doesNotExist();
    }

    /** Messages per endpoint and direction: the scale's, or {@code rptun.soak.messages}. */
    static long perStream() {
        return Long.getLong("rptun.soak.messages", Scale.pick(SHORT, LONG));
    }

    /** A generous bound for moving {@code messages}: 2 minutes plus 2,000 messages a second. */
    static Duration budget(long messages) {
        return Duration.ofSeconds(120 + messages / 2_000);
    }

    @Test
    void eightEndpointsCarryTwoStreamsEachWithNothingLostDuplicatedReorderedOrCorrupt() throws Exception {
        long n = perStream();
        int streams = SoakRemoteServices.STREAMS;
        Duration budget = budget(2 * n * streams);
        Rptun host = link.start();
        RpmsgDevice device = host.device();
        List<HostStream> checks = new ArrayList<>();
        List<RpmsgEndpoint> endpoints = new ArrayList<>();
        for (int i = 0; i < streams; i++) {
            HostStream s = new HostStream(i);
            checks.add(s);
            endpoints.add(device.createEndpoint(SoakRemoteServices.name(i), s));
        }
        for (RpmsgEndpoint ep : endpoints) {
            assertThat(ep.awaitBound(ReliabilityLink.BOOT)).as("%s bound", ep).isTrue();
        }

        long started = System.nanoTime();
        ReliabilityThreads senders = new ReliabilityThreads("soak-host-sender");
        try {
            for (int i = 0; i < streams; i++) {
                RpmsgEndpoint ep = endpoints.get(i);
                int stream = i;
                ep.send(SoakProtocol.control(SoakProtocol.START, i, 0, n, n));
                senders.start(() -> send(ep, stream, n));
            }
            senders.joinAll(budget);
        } finally {
            senders.interruptAll();
        }
        for (HostStream s : checks) {
            assertThat(s.done.await(budget.toSeconds(), TimeUnit.SECONDS))
                    .as("stream %d: the remote's END and REPORT arrived", s.stream).isTrue();
        }
        double seconds = (System.nanoTime() - started) / 1e9;

        Counts toRemote = Counts.zero();
        Counts toHost = Counts.zero();
        for (HostStream s : checks) {
            Counts remoteSaw = s.report;
            Counts hostSaw = Counts.of(s.check);
            assertThat(remoteSaw).as("stream %d, host -> remote, as the remote counted", s.stream)
                    .isEqualTo(new Counts(n, n, 0, 0, 0, 0));
            assertThat(hostSaw).as("stream %d, remote -> host, as the host counted", s.stream)
                    .isEqualTo(new Counts(n, n, 0, 0, 0, 0));
            assertThat(s.remoteSent).as("stream %d: DATA the remote says it sent", s.stream).isEqualTo(n);
            // the remote sends DATA, END and REPORT on each endpoint, and nothing else arrived
            assertThat(s.check.received()).as("stream %d: messages the host took", s.stream).isEqualTo(n + 2);
            toRemote = toRemote.plus(remoteSaw);
            toHost = toHost.plus(hostSaw);
        }
        assertThat(device.stats().dropped()).as("nothing dropped by the host's device").isEmpty();
        assertThat(device.heldRxBuffers()).isZero();
        System.out.printf("SOAK core: %d endpoints x %,d messages each way = %,d messages in %.1f s (%,.0f msg/s);"
                + " host->remote %s; remote->host %s%n", streams, n, 2 * n * streams, seconds,
                2 * n * streams / seconds, toRemote, toHost);
    }

    /** Sends {@code n} DATA then END; even endpoints fill TX buffers in place, odd ones send arrays. */
    static void send(RpmsgEndpoint ep, int stream, long n) {
        SplittableRandom random = new SplittableRandom(0xC0DE_0000L + stream);
        int max = ep.maxPayload();
        byte[] array = new byte[max];
        MemorySegment heap = MemorySegment.ofArray(array);
        for (long seq = 0; seq < n; seq++) {
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
        ep.send(SoakProtocol.control(SoakProtocol.END, stream, n));
    }

    /** The host's end of one endpoint: checks the remote's stream, keeps its END and REPORT. */
    static final class HostStream implements RpmsgListener {
        final int stream;
        final SoakProtocol.StreamCheck check;
        final CountDownLatch done = new CountDownLatch(2);
        volatile long remoteSent = -1;
        volatile @Nullable Counts report;

        HostStream(int stream) {
            this.stream = stream;
            this.check = new SoakProtocol.StreamCheck(stream);
            check.expect(perStream());
        }

        @Override
        public void onMessage(RpmsgEndpoint ep, RpmsgMessage msg) {
            accept(msg.payload());
        }

        /** Classifies one message; true once both END and REPORT are in. */
        boolean accept(MemorySegment m) {
            switch (check.accept(m)) {
                case SoakProtocol.END -> {
                    remoteSent = SoakProtocol.seq(m);
                    done.countDown();
                }
                case SoakProtocol.REPORT -> {
                    report = Counts.ofReport(m);
                    done.countDown();
                }
                default -> {
                    // DATA or corrupt: counted by the check
                }
            }
            return done.getCount() == 0;
        }
    }
}
