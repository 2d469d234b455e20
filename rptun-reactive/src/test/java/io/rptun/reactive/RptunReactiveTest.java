package io.rptun.reactive;

import static org.assertj.core.api.Assertions.assertThat;

import io.rptun.core.lifecycle.Rptun;
import io.rptun.core.lifecycle.RptunOptions;
import io.rptun.core.lifecycle.RptunState;
import io.rptun.core.rpmsg.RpmsgException;
import io.rptun.core.rpmsg.RpmsgMessage;
import io.rptun.sim.ChildJvmLauncher;
import io.rptun.sim.SimDriver;
import io.rptun.sim.SimFile;
import io.rptun.sim.SimOptions;
import io.rptun.sim.SimRemote;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** A reactive layer that follows its link across a declared peer loss, a reset, and a SIGKILLed remote JVM. */
@Timeout(180)
class RptunReactiveTest {
    private static final Duration WAIT = Duration.ofSeconds(60);
    private final Path path = SimFile.shmPath("rptun-follow-" + UUID.randomUUID());
    private final ChildJvmLauncher launcher = ChildJvmLauncher.of(List.of("--echo"), ProcessBuilder.Redirect.DISCARD);

    @AfterEach
    void nothingIsLeft() throws Exception {
        launcher.kill();
        Files.deleteIfExists(path);
    }

    private static byte[] seq(int i) {
        return ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putInt(0, i).array();
    }

    @Test
    void announcementsGoOnAndEachSessionGetsItsOwnChannelAcrossAPeerLossAndAReset() throws Exception {
        SimOptions options = SimOptions.defaults("unused").withPath(path);
        Rptun host = Rptun.create(SimDriver.host(options, null), RptunOptions.defaults());
        try (SimRemote remote = SimRemote.start(options, true, false, List.of())) {
            host.start();
            RptunReactive link = RptunReactive.follow(host);
            List<NameServiceEvent> events = new CopyOnWriteArrayList<>();
            Disposable announcements = link.announcements()
                    .filter(e -> e.name().equals(SimRemote.ECHO)).subscribe(events::add);
            BlockingQueue<RpmsgChannel> channels = new LinkedBlockingQueue<>();
            Disposable opened = link.channels(SimRemote.ECHO).subscribe(channels::add);

            RpmsgChannel first = channels.poll(20, TimeUnit.SECONDS);
            assertThat(first).isNotNull();
            assertThat(echo(first, "before")).isEqualTo("before");
            AtomicReference<Throwable> firstEnded = new AtomicReference<>();
            first.receive().subscribe(m -> { }, firstEnded::set);

            host.peerLost("the test says so");
            assertThat(firstEnded.get()).isInstanceOfSatisfying(RpmsgException.class,
                    e -> assertThat(e.reason()).isEqualTo(RpmsgException.Reason.PEER_LOST));

            host.reset(0); // the remote here is alive: it hears the reset and attaches again
            RpmsgChannel second = channels.poll(20, TimeUnit.SECONDS);
            assertThat(second).isNotNull().isNotSameAs(first);
            assertThat(echo(second, "after")).isEqualTo("after");
            assertThat(events).extracting(NameServiceEvent::type).containsExactly(NameServiceEvent.Type.CREATED,
                    NameServiceEvent.Type.DESTROYED, NameServiceEvent.Type.CREATED);

            announcements.dispose();
            opened.dispose();
            link.dispose();
        } finally {
            host.close();
        }
    }

    @Test
    void aStreamResumesThroughTheSameLayerAfterTheRemoteJvmIsKilledAndANewOneBoots() throws Exception {
        Rptun host = Rptun.create(SimDriver.host(SimOptions.defaults("x").withPath(path), launcher),
                RptunOptions.defaults().withReadyTimeout(WAIT));
        try {
            host.start();
            RptunReactive link = RptunReactive.follow(host);
            // Each session streams sequence numbers from 0 through its own channel and keeps what came back:
            // the first without end (it is cut by the kill), the second 1000.
            List<List<Integer>> sessions = new CopyOnWriteArrayList<>();
            Disposable stream = link.channels(SimRemote.ECHO).concatMap(ch -> {
                List<Integer> got = new CopyOnWriteArrayList<>();
                sessions.add(got);
                int n = sessions.size() == 1 ? Integer.MAX_VALUE : 1000;
                Mono<Void> send = ch.sendBytes(Flux.range(0, n).map(RptunReactiveTest::seq)).then()
                        .onErrorResume(RpmsgException.class, e -> Mono.empty());
                Flux<Integer> receive = ch.receive().map(m -> m.getIntLE(0)).doOnNext(got::add).take(n)
                        .onErrorResume(RpmsgException.class, e -> Flux.empty());
                return Flux.merge(receive, send.then(Mono.<Integer>empty()));
            }).subscribe();

            awaitTrue(() -> !sessions.isEmpty() && sessions.get(0).size() >= 2000);
            launcher.kill(); // mid-stream
            assertThat(host.awaitState(RptunState.PEER_LOST, WAIT)).isTrue();
            host.reset(0); // boots a new remote JVM
            awaitTrue(() -> sessions.size() == 2 && sessions.get(1).size() == 1000);

            List<Integer> first = sessions.get(0);
            assertThat(first).as("in order, nothing twice").containsExactlyElementsOf(
                    IntStream.range(0, first.size()).boxed().toList());
            assertThat(sessions.get(1)).containsExactlyElementsOf(IntStream.range(0, 1000).boxed().toList());
            stream.dispose();
            link.dispose();
        } finally {
            host.close();
        }
    }

    private static String echo(RpmsgChannel channel, String text) {
        Mono<String> reply = channel.receive().map(RpmsgMessage::asString).next();
        return reply.zipWith(channel.sendBytes(Mono.just(text.getBytes(StandardCharsets.UTF_8)))
                .then().then(Mono.just(1)), (r, x) -> r).block(WAIT);
    }

    private static void awaitTrue(BooleanSupplier condition) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime() - deadline).as("waited too long").isNegative();
            Thread.onSpinWait();
            Thread.yield();
        }
    }
}
