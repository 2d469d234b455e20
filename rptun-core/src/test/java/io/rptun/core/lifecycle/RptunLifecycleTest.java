package io.rptun.core.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.rptun.core.lifecycle.RptunLifecycleException.Reason;
import io.rptun.core.loopback.LoopbackDrivers;
import io.rptun.core.rpmsg.RpmsgDevice;
import io.rptun.core.rpmsg.RpmsgEndpoint;
import io.rptun.core.rpmsg.RpmsgException;
import io.rptun.core.rsc.NuttxCommand;
import io.rptun.core.rsc.ResourceTableException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class RptunLifecycleTest {
    private static final Duration WAIT = Duration.ofSeconds(10);

    /** Starts both sides at once (each start waits for the other) and returns them RUNNING. */
    private static Rptun[] startBoth(LoopbackDrivers pair, RptunOptions options) throws Exception {
        Rptun master = Rptun.create(pair.master(), options);
        Rptun remote = Rptun.create(pair.remote(), options);
        CompletableFuture<RpmsgDevice> r = CompletableFuture.supplyAsync(remote::start);
        master.start();
        r.get(20, TimeUnit.SECONDS);
        return new Rptun[] {master, remote};
    }

    private static RpmsgEndpoint echoService(RpmsgDevice device) {
        return device.createEndpoint("echo", (ep, msg) -> ep.send(msg.toByteArray()));
    }

    @Test
    void bothSidesComeUpThroughStartingToRunningAndTalk() throws Exception {
        try (LoopbackDrivers pair = LoopbackDrivers.standard()) {
            List<RptunEvent> masterEvents = new CopyOnWriteArrayList<>();
            Rptun master = Rptun.create(pair.master(), RptunOptions.defaults());
            master.addListener(masterEvents::add);
            Rptun remote = Rptun.create(pair.remote(), RptunOptions.defaults());
            assertThat(master.state()).isEqualTo(RptunState.OFFLINE);
            assertThatThrownBy(master::device).isInstanceOfSatisfying(RptunLifecycleException.class,
                    e -> assertThat(e.reason()).isEqualTo(Reason.NOT_RUNNING));
            CompletableFuture<RpmsgDevice> r = CompletableFuture.supplyAsync(remote::start);
            RpmsgDevice host = master.start();
            RpmsgDevice dev = r.get(20, TimeUnit.SECONDS);
            try {
                assertThat(master.state()).isEqualTo(RptunState.RUNNING);
                assertThat(remote.state()).isEqualTo(RptunState.RUNNING);
                assertThat(master.generation()).isEqualTo(1);
                assertThat(masterEvents).extracting(RptunEvent::to).containsExactly(RptunState.STARTING,
                        RptunState.RUNNING);
                assertThat(masterEvents.get(1).why()).contains("cp is up");
                // The master gave out the notify ids the table left as ANY, as OpenAMP's master does.
                var live = io.rptun.core.rsc.ResourceTableParser.parse(pair.memory(), io.rptun.core.rsc.ParseMode.NUTTX)
                        .attach(pair.memory());
                assertThat(List.of(live.vdevNotifyId(0), live.vringNotifyId(0, 0), live.vringNotifyId(0, 1)))
                        .containsExactly(0, 1, 2);
                echoService(dev);
                BlockingQueue<String> got = new LinkedBlockingQueue<>();
                RpmsgEndpoint client = host.createEndpoint("echo", (ep, msg) -> got.add(msg.asString()));
                assertThat(client.awaitBound(WAIT)).isTrue();
                client.send("ping".getBytes(StandardCharsets.UTF_8));
                assertThat(got.poll(10, TimeUnit.SECONDS)).isEqualTo("ping");
                assertThat(pair.master().starts()).isEqualTo(1);
                assertThat(pair.remote().starts()).isEqualTo(1);
            } finally {
                master.close();
                remote.close();
            }
            assertThat(master.state()).isEqualTo(RptunState.CLOSED);
        }
    }

    @Test
    void aRemovedListenerHearsNothingMoreWhileTheOthersStillDo() throws Exception {
        try (LoopbackDrivers pair = LoopbackDrivers.standard()) {
            Rptun[] both = startBoth(pair, RptunOptions.defaults());
            Rptun master = both[0];
            List<RptunEvent> removed = new CopyOnWriteArrayList<>();
            List<RptunEvent> kept = new CopyOnWriteArrayList<>();
            RptunListener gone = removed::add;
            master.addListener(gone);
            master.addListener(kept::add);
            master.removeListener(gone);
            master.removeListener(e -> { }); // one never added: nothing happens
            master.stop();
            assertThat(kept).extracting(RptunEvent::to).contains(RptunState.OFFLINE);
            assertThat(removed).isEmpty();
            master.close();
            both[1].close();
        }
    }

    @Test
    void stopReachesThePeerThroughTheMailboxAndClosesBothDevices() throws Exception {
        try (LoopbackDrivers pair = LoopbackDrivers.standard()) {
            Rptun[] both = startBoth(pair, RptunOptions.defaults());
            Rptun master = both[0];
            Rptun remote = both[1];
            List<RptunEvent> remoteEvents = new CopyOnWriteArrayList<>();
            remote.addListener(remoteEvents::add);
            RpmsgDevice remoteDevice = remote.device();
            master.stop();
            assertThat(master.state()).isEqualTo(RptunState.OFFLINE);
            assertThat(remote.awaitState(RptunState.OFFLINE, WAIT)).isTrue();
            assertThat(remoteEvents).extracting(RptunEvent::why).anyMatch(w -> w.contains("stopped by the ap"));
            assertThat(remoteDevice.state()).isEqualTo(RpmsgDevice.State.CLOSED);
            assertThat(pair.remote().stops()).isEqualTo(1);
            assertThat(pair.master().stops()).isEqualTo(1);
            master.stop();
            assertThat(pair.master().stops()).as("idempotent").isEqualTo(1);
            master.close();
            remote.close();
        }
    }

    @Test
    void aLostPeerFailsPendingWorkNamingTheRemoteAndResetStartsANewSessionTheRemoteRejoins() throws Exception {
        try (LoopbackDrivers pair = LoopbackDrivers.standard()) {
            Rptun[] both = startBoth(pair, RptunOptions.defaults());
            Rptun master = both[0];
            Rptun remote = both[1];
            try {
                RpmsgEndpoint client = master.device().createEndpoint("svc", (ep, msg) -> { });
                Objects.requireNonNull(pair.master().callback()).peerLost("heartbeat stopped 600 ms ago");
                assertThat(master.state()).isEqualTo(RptunState.PEER_LOST);
                assertThatThrownBy(() -> client.send(new byte[4])).isInstanceOfSatisfying(RpmsgException.class, e -> {
                    assertThat(e.reason()).isEqualTo(RpmsgException.Reason.PEER_LOST);
                    assertThat(e.getMessage()).contains("cp").contains("heartbeat stopped");
                });
                assertThatThrownBy(master::device).isInstanceOfSatisfying(RptunLifecycleException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.NOT_RUNNING));
                assertThat(master.failure()).isNotNull();

                // The remote here is alive: reset tells it through the mailbox, and it re-attaches.
                RpmsgDevice fresh = master.reset(7);
                assertThat(master.generation()).isEqualTo(2);
                assertThat(remote.awaitRunning(WAIT)).isNotNull();
                assertThat(remote.generation()).isEqualTo(2);
                echoService(remote.device());
                BlockingQueue<String> got = new LinkedBlockingQueue<>();
                RpmsgEndpoint again = fresh.createEndpoint("echo", (ep, msg) -> got.add(msg.asString()));
                assertThat(again.awaitBound(WAIT)).isTrue();
                again.send("back".getBytes(StandardCharsets.UTF_8));
                assertThat(got.poll(10, TimeUnit.SECONDS)).isEqualTo("back");
            } finally {
                master.close();
                remote.close();
            }
        }
    }

    @Test
    void panicMakesTheRemotePanicThroughTheMailbox() throws Exception {
        try (LoopbackDrivers pair = LoopbackDrivers.standard()) {
            Rptun[] both = startBoth(pair, RptunOptions.defaults());
            Rptun master = both[0];
            Rptun remote = both[1];
            RpmsgEndpoint ep = remote.device().createEndpoint("x", (e, m) -> { });
            master.panic();
            assertThat(master.state()).isEqualTo(RptunState.PANICKED);
            assertThat(remote.awaitState(RptunState.PANICKED, WAIT)).isTrue();
            assertThatThrownBy(() -> ep.sendTo(0x400, new byte[1])).isInstanceOfSatisfying(RpmsgException.class,
                    e -> assertThat(e.reason()).isEqualTo(RpmsgException.Reason.PEER_LOST));
            master.close();
            remote.close();
        }
    }

    @Test
    void aResetWithADriverOpDoesNotUseTheMailbox() throws Exception {
        try (LoopbackDrivers pair = LoopbackDrivers.standard()) {
            Rptun[] both = startBoth(pair, RptunOptions.defaults());
            Rptun master = both[0];
            Rptun remote = both[1];
            pair.master().offerResetOp(true);
            pair.remote().offerResetOp(true);
            CompletableFuture<RpmsgDevice> again = CompletableFuture.supplyAsync(() -> master.reset(1));
            // Nobody told the remote: it is reset by hand here, as a board's reset line would.
            remote.reset(0);
            again.get(20, TimeUnit.SECONDS);
            assertThat(pair.master().resets()).isEqualTo(1);
            assertThat(master.state()).isEqualTo(RptunState.RUNNING);
            master.close();
            remote.close();
        }
    }

    @Test
    void aMasterWithoutARemoteTimesOutAndIsFailedWithEverythingReleased() {
        try (LoopbackDrivers pair = LoopbackDrivers.standard()) {
            Rptun master = Rptun.create(pair.master(), RptunOptions.defaults().withReadyTimeout(Duration.ofMillis(300)));
            assertThatThrownBy(master::start).isInstanceOfSatisfying(RptunLifecycleException.class,
                    e -> assertThat(e.reason()).isEqualTo(Reason.READY_TIMEOUT));
            assertThat(master.state()).isEqualTo(RptunState.FAILED);
            assertThat(pair.master().stops()).isEqualTo(1);
            assertThatThrownBy(master::start).isInstanceOfSatisfying(RptunLifecycleException.class,
                    e -> assertThat(e.reason()).isEqualTo(Reason.WRONG_STATE));
            master.close();
            assertThat(master.state()).isEqualTo(RptunState.CLOSED);
        }
    }

    @Test
    void aRemoteThatFindsGarbageInsteadOfATableFailsToStartWithTheTableError() {
        try (LoopbackDrivers pair = LoopbackDrivers.standard()) {
            pair.memory().fill((byte) 0x5A);
            Rptun master = Rptun.create(pair.master(), RptunOptions.defaults());
            // Boot without laying out: only the driver's start, so the remote sees the garbage.
            pair.master().start();
            Rptun remote = Rptun.create(pair.remote(), RptunOptions.defaults());
            assertThatThrownBy(remote::start).isInstanceOfSatisfying(RptunLifecycleException.class, e -> {
                assertThat(e.reason()).isEqualTo(Reason.START_FAILED);
                assertThat(e.getCause()).isInstanceOf(ResourceTableException.class);
            });
            assertThat(remote.state()).isEqualTo(RptunState.FAILED);
            master.close();
            remote.close();
        }
    }

    @Test
    void theMailboxAcknowledgesAndKeepsCommandsThatArriveWhileWaitingForAnAck() throws Exception {
        try (LoopbackDrivers pair = LoopbackDrivers.standard()) {
            Rptun[] both = startBoth(pair, RptunOptions.defaults());
            both[0].close();
            both[1].close();
            var live = io.rptun.core.rsc.ResourceTableParser.parse(pair.memory(), io.rptun.core.rsc.ParseMode.NUTTX)
                    .attach(pair.memory());
            live.setMasterCommand(new NuttxCommand(NuttxCommand.DONE, 0));
            live.setSlaveCommand(new NuttxCommand(NuttxCommand.DONE, 0));
            RptunMailbox m = new RptunMailbox(live, true, id -> { });
            RptunMailbox s = new RptunMailbox(live, false, id -> { });
            assertThat(m.send(new NuttxCommand(NuttxCommand.RESET, 3), Duration.ofMillis(50))).as("no ACK").isFalse();
            assertThat(s.poll()).isEqualTo(new NuttxCommand(NuttxCommand.RESET, 3));
            s.ack();
            assertThat(m.poll()).as("the ACK is not a command").isNull();
            // The slave sends STOP while the master waits for an ACK of its own PANIC: both arrive.
            CompletableFuture<Boolean> acked = CompletableFuture.supplyAsync(
                    () -> m.send(new NuttxCommand(NuttxCommand.PANIC, 0), WAIT));
            NuttxCommand panic = null;
            while (panic == null) {
                panic = s.poll();
            }
            assertThat(panic.cmd()).isEqualTo(NuttxCommand.PANIC);
            // Before acknowledging, the slave sends a command of its own: the master, still waiting, queues it.
            s.send(new NuttxCommand(NuttxCommand.STOP, 0), Duration.ZERO);
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (live.slaveCommand().cmd() != NuttxCommand.DONE && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            assertThat(acked).as("the STOP is not an ACK").isNotDone();
            s.ack();
            assertThat(acked.get(10, TimeUnit.SECONDS)).isTrue();
            assertThat(m.poll()).as("kept, not lost").isEqualTo(new NuttxCommand(NuttxCommand.STOP, 0));
            m.ack();
            assertThat(live.masterCommand().cmd()).isEqualTo(NuttxCommand.ACK);
            // An ACK never overwrites a command the peer has not taken yet.
            m.send(new NuttxCommand(NuttxCommand.RESET, 1), Duration.ZERO);
            m.ack();
            assertThat(live.masterCommand()).isEqualTo(new NuttxCommand(NuttxCommand.RESET, 1));
        }
    }
}
