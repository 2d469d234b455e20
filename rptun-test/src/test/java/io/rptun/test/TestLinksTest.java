package io.rptun.test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.rptun.core.lifecycle.RptunState;
import io.rptun.core.rpmsg.RpmsgDevice;
import io.rptun.core.rpmsg.RpmsgEndpoint;
import io.rptun.core.rpmsg.RpmsgException.Reason;
import io.rptun.core.rpmsg.RpmsgStats;
import io.rptun.sim.SimRemote;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

@Timeout(120)
class TestLinksTest {
    private static final Duration WAIT = Duration.ofSeconds(20);

    static void echoes(RpmsgDevice device, int n) throws InterruptedException {
        BlockingQueue<String> got = new LinkedBlockingQueue<>();
        RpmsgEndpoint echo = device.createEndpoint(SimRemote.ECHO, (ep, msg) -> got.add(msg.asString()));
        assertThat(echo.awaitBound(WAIT)).isTrue();
        for (int i = 0; i < n; i++) {
            echo.send(("m" + i).getBytes(StandardCharsets.UTF_8));
        }
        for (int i = 0; i < n; i++) {
            assertThat(got.poll(20, TimeUnit.SECONDS)).isEqualTo("m" + i);
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void everyTransportGivesAnEchoingPairInOneLineAndLeavesNothingBehind(Transport transport) throws Exception {
        Path file;
        Process child;
        try (TestLink link = TestLinks.of(transport, RemoteSide.defaults())) {
            echoes(link.hostDevice(), 500);
            file = link.file();
            child = link.remoteProcess();
            if (transport == Transport.IN_PROCESS) {
                assertThatThrownBy(link::host).hasMessageContaining("IN_PROCESS link has no Rptun lifecycle");
            } else {
                assertThat(link.host().state()).isEqualTo(RptunState.RUNNING);
            }
        }
        if (file != null) {
            assertThat(file).doesNotExist();
        }
        if (child != null) {
            assertThat(child.isAlive()).isFalse();
        }
    }

    @Test
    void aRemoteInThisJvmIsReachableAndARemoteThatCrashesIsSeenAsLost() throws Exception {
        try (TestLink link = TestLinks.simFile(RemoteSide.defaults().withSink(false))) {
            assertThat(link.remoteDevice().localCpuName()).isNotEmpty();
            assertThatThrownBy(link::killRemote).isInstanceOf(UnsupportedOperationException.class)
                    .hasMessageContaining("CHILD_JVM");
        }
        try (TestLink link = TestLinks.childJvm(RemoteSide.defaults())) {
            echoes(link.hostDevice(), 10);
            link.killRemote();
            assertThat(link.host().awaitState(RptunState.PEER_LOST, WAIT)).isTrue();
            echoes(link.host().reset(0), 10); // a new child JVM boots on the new layout
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void aStalledRemoteBacksTheHostUpUntilItGoesOnAndThenEverythingArrives(Transport transport) throws Exception {
        try (TestLink link = TestLinks.of(transport, RemoteSide.defaults())) {
            BlockingQueue<String> got = new LinkedBlockingQueue<>();
            RpmsgEndpoint echo = link.hostDevice().createEndpoint(SimRemote.ECHO, (ep, msg) -> got.add(msg.asString()));
            assertThat(echo.awaitBound(WAIT)).isTrue();
            int accepted = 0;
            try (TestLink.Stall stall = link.stallRemote()) {
                for (int i = 0; i < 1000 && echo.trySend(("m" + accepted).getBytes(StandardCharsets.UTF_8)); i++) {
                    accepted++;
                }
                assertThat(accepted).as("the host ran out of TX buffers while the remote stood still")
                        .isLessThan(1000);
                Thread.sleep(200);
                assertThat(got).as("nothing came back while stalled").isEmpty();
            }
            for (int i = 0; i < accepted; i++) {
                assertThat(got.poll(20, TimeUnit.SECONDS)).isEqualTo("m" + i);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = Transport.class, names = {"IN_PROCESS", "SIM_FILE"})
    void aMessageTheRemoteCorruptsOnItsWayIsDroppedForItsReasonAndTheMessagesAfterItArriveIntact(Transport transport)
            throws Exception {
        try (TestLink link = TestLinks.of(transport, RemoteSide.defaults())) {
            BlockingQueue<String> got = new LinkedBlockingQueue<>();
            RpmsgEndpoint echo = link.hostDevice().createEndpoint(SimRemote.ECHO, (ep, msg) -> got.add(msg.asString()));
            assertThat(echo.awaitBound(WAIT)).isTrue();

            link.sendCorrupted(echo.address(), bytes("too long"), Corruption.LENGTH_BEYOND_BUFFER);
            link.sendCorrupted(echo.address(), bytes("lost"), Corruption.WRONG_DESTINATION);

            RpmsgStats stats = link.hostDevice().stats();
            assertThat(stats.dropped(Reason.LENGTH_BEYOND_BUFFER)).isEqualTo(1);
            assertThat(stats.dropped(Reason.UNKNOWN_DESTINATION)).isEqualTo(1);
            echoes(link.hostDevice(), 100);
            assertThat(got).as("no corrupted message reached the endpoint").isEmpty();
            assertThat(link.hostDevice().stats().droppedTotal()).as("nothing else was dropped").isEqualTo(2);
        }
    }

    @Test
    void aFlippedPayloadByteIsDeliveredAsItIsForTheApplicationToNoticeAndNothingIsDropped() throws Exception {
        try (TestLink link = TestLinks.inProcess(RemoteSide.defaults())) {
            BlockingQueue<byte[]> got = new LinkedBlockingQueue<>();
            RpmsgEndpoint sink = link.hostDevice().createEndpoint("checked", (ep, msg) -> got.add(msg.toByteArray()));

            link.sendCorrupted(sink.address(), new byte[] {0x0F, 2, 3}, Corruption.FLIPPED_PAYLOAD_BYTE);
            link.sendCorrupted(sink.address(), new byte[] {0x0F, 2, 3}, Corruption.FLIPPED_PAYLOAD_BYTE);

            assertThat(got.poll(20, TimeUnit.SECONDS)).containsExactly((byte) 0xF0, 2, 3);
            assertThat(got.poll(20, TimeUnit.SECONDS)).as("a second fault on the same link").containsExactly((byte) 0xF0, 2, 3);
            echoes(link.hostDevice(), 10);
            assertThat(link.hostDevice().stats().droppedTotal()).isZero();
        }
    }

    @Test
    void aRemoteInAnotherProcessCannotCorruptAMessage() {
        try (TestLink link = TestLinks.childJvm(RemoteSide.defaults())) {
            assertThatThrownBy(() -> link.sendCorrupted(0x400, bytes("x"), Corruption.LENGTH_BEYOND_BUFFER))
                    .isInstanceOf(UnsupportedOperationException.class).hasMessageContaining("IN_PROCESS or SIM_FILE");
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
