package io.rptun.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import io.rptun.core.lifecycle.Rptun;
import io.rptun.reactive.ChannelStats;
import io.rptun.reactive.RpmsgChannel;
import io.rptun.reactive.RpmsgReactive;
import io.rptun.reactive.RpmsgWriter;
import io.rptun.reliability.SoakProtocol.Counts;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * Issue 9, section 1 through the reactive API: the same eight endpoints and checksummed streams as
 * {@link SoakTest}, with the host's side as {@link RpmsgChannel}s. Each channel sends with a
 * {@code Flux} ({@code sendWith} zero-copy on even endpoints, {@code sendBytes} on odd ones) and receives
 * with a subscriber that stops now and then: even endpoints pause in {@code concatMap} with a random
 * {@code Mono.delay}, odd ones take messages on a {@code boundedElastic} consumer behind {@code limitRate}
 * that sleeps at random. Under the default policy nothing is lost: a channel that falls behind copies within
 * its budget, and past it the remote waits.
 *
 * <p>Messages per endpoint and direction as in {@link SoakTest#perStream()}.
 */
@Timeout(value = 4, unit = TimeUnit.HOURS) // a hang guard sized for the long form; every wait below is bounded
class ReactiveSoakTest {
    private final ReliabilityLink link = ReliabilityLink.of("rsoak", false, SoakRemoteServices.class);

    @AfterEach
    void cleanUp() throws Exception {
        link.close();
        assertThat(link.path()).doesNotExist();
    }

    @Test
    void eightChannelsWithRandomlyPausingSubscribersLoseDuplicateReorderAndCorruptNothing() throws Exception {
        long n = SoakTest.perStream();
        int streams = SoakRemoteServices.STREAMS;
        Duration budget = SoakTest.budget(2 * n * streams);
        // about 40 pauses per endpoint in the short form, 400 in the long one, of 1 to 20 ms each
        double pauseChance = Scale.pick(40, 400) / (double) n;
        Rptun host = link.start();
        RpmsgReactive rpmsg = RpmsgReactive.create(host);
        List<RpmsgChannel> channels = new ArrayList<>();
        for (int i = 0; i < streams; i++) {
            channels.add(rpmsg.open(SoakRemoteServices.name(i), ReliabilityLink.BOOT).block(ReliabilityLink.BOOT));
        }

        long started = System.nanoTime();
        List<SoakTest.HostStream> checks = new ArrayList<>();
        List<CompletableFuture<Void>> received = new ArrayList<>();
        List<Mono<Void>> sends = new ArrayList<>();
        long[] pausesTaken = new long[streams];
        for (int i = 0; i < streams; i++) {
            SoakTest.HostStream check = new SoakTest.HostStream(i);
            checks.add(check);
            RpmsgChannel channel = channels.get(i);
            SplittableRandom random = new SplittableRandom(0xFEED_0000L + i);
            int stream = i;
            // The message is valid inside onNext: map() checks it there and passes on only "done?".
            Flux<Boolean> done = channel.receive().map(m -> check.accept(m.payload()));
            if ((i & 1) == 0) {
                done = done.concatMap(d -> {
                    if (random.nextDouble() < pauseChance) {
                        pausesTaken[stream]++;
                        return Mono.delay(Duration.ofMillis(1 + random.nextInt(20))).thenReturn(d);
                    }
                    return Mono.just(d);
                }, 32);
            } else {
                done = done.limitRate(16).publishOn(Schedulers.boundedElastic(), 16).doOnNext(d -> {
                    if (random.nextDouble() < pauseChance) {
                        pausesTaken[stream]++;
                        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1 + random.nextInt(20))); // a slow consumer
                    }
                });
            }
            received.add(done.takeUntil(d -> d).then().toFuture());
            sends.add(send(channel, stream, n));
        }
        Flux.merge(sends).then().block(budget);
        for (int i = 0; i < streams; i++) {
            received.get(i).get(budget.toSeconds(), TimeUnit.SECONDS);
        }
        double seconds = (System.nanoTime() - started) / 1e9;

        Counts toRemote = Counts.zero();
        Counts toHost = Counts.zero();
        long pauses = 0;
        long paused = 0;
        int behind = 0;
        for (int i = 0; i < streams; i++) {
            SoakTest.HostStream s = checks.get(i);
            Counts remoteSaw = s.report;
            Counts hostSaw = Counts.of(s.check);
            assertThat(remoteSaw).as("stream %d, host -> remote, as the remote counted", i)
                    .isEqualTo(new Counts(n, n, 0, 0, 0, 0));
            assertThat(hostSaw).as("stream %d, remote -> host, as the host counted", i)
                    .isEqualTo(new Counts(n, n, 0, 0, 0, 0));
            assertThat(s.remoteSent).as("stream %d: DATA the remote says it sent", i).isEqualTo(n);
            assertThat(s.check.received()).as("stream %d: messages the host took", i).isEqualTo(n + 2);
            ChannelStats stats = channels.get(i).stats();
            assertThat(stats.dropped()).as("stream %d: dropped by the channel", i).isZero();
            assertThat(stats.maxHeld()).as("stream %d: held at most the bound", i)
                    .isLessThanOrEqualTo(rpmsg.options().receiveBound());
            assertThat(stats.maxCopiedBytes()).as("stream %d: copied within the budget", i)
                    .isLessThanOrEqualTo(rpmsg.options().copyBudget());
            if (stats.maxQueued() > rpmsg.options().receiveBound()) {
                behind++;
            }
            assertThat(stats.delivered()).as("stream %d: delivered", i).isEqualTo(n + 2);
            toRemote = toRemote.plus(remoteSaw);
            toHost = toHost.plus(hostSaw);
            pauses += pausesTaken[i];
            paused += stats.pauses();
        }
        assertThat(paused + behind).as("the slow subscribers made channels fall behind past their bound").isPositive();
        assertThat(host.device().stats().dropped()).as("nothing dropped by the host's device").isEmpty();
        for (RpmsgChannel c : channels) {
            c.close().block(ReliabilityLink.BOOT);
        }
        assertThat(host.device().heldRxBuffers()).as("every RX buffer is back").isZero();
        System.out.printf("SOAK reactive: %d channels x %,d messages each way = %,d messages in %.1f s (%,.0f msg/s);"
                + " %d subscriber pauses, %d pauses of delivery, %d channels copied past their bound; host->remote %s;"
                + " remote->host %s%n", streams, n, 2 * n * streams, seconds, 2 * n * streams / seconds, pauses, paused,
                behind, toRemote, toHost);
    }

    /** START, n DATA and END on one channel: zero-copy writers on even endpoints, arrays on odd ones. */
    private static Mono<Void> send(RpmsgChannel channel, int stream, long n) {
        byte[] start = SoakProtocol.control(SoakProtocol.START, stream, 0, n, n);
        byte[] end = SoakProtocol.control(SoakProtocol.END, stream, n);
        SplittableRandom random = new SplittableRandom(0xC0DE_0000L + stream);
        int max = channel.maxPayload();
        if ((stream & 1) == 0) {
            Flux<RpmsgWriter> data = Flux.<RpmsgWriter, Long>generate(() -> 0L, (seq, sink) -> {
                if (seq == n) {
                    sink.complete();
                } else {
                    // the writer runs once, in order, when a TX buffer is there: the random draws stay in order
                    sink.next(tx -> SoakProtocol.writeData(tx, stream, seq, SoakProtocol.randomLength(random, max), random));
                }
                return seq + 1;
            });
            return channel.sendWith(Flux.concat(Mono.just(copying(start)), data, Mono.just(copying(end)))).then();
        }
        Flux<byte[]> data = Flux.<byte[], Long>generate(() -> 0L, (seq, sink) -> {
            if (seq == n) {
                sink.complete();
            } else {
                byte[] bytes = new byte[SoakProtocol.randomLength(random, max)];
                SoakProtocol.writeData(MemorySegment.ofArray(bytes), stream, seq, bytes.length, random);
                sink.next(bytes);
            }
            return seq + 1;
        });
        return channel.sendBytes(Flux.concat(Mono.just(start), data, Mono.just(end))).then();
    }

    private static RpmsgWriter copying(byte[] bytes) {
        return tx -> {
            MemorySegment.copy(MemorySegment.ofArray(bytes), 0, tx, 0, bytes.length);
            return bytes.length;
        };
    }
}
