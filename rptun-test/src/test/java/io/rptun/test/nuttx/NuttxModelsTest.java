package io.rptun.test.nuttx;

import static io.rptun.core.memory.WireLayouts.LE_U32;
import static io.rptun.core.memory.WireLayouts.LE_U64;
import static io.rptun.core.memory.WireLayouts.LE_U8;
import static org.assertj.core.api.Assertions.assertThat;

import io.rptun.core.virtio.VringAvailLayout;
import io.rptun.core.virtio.VringUsedLayout;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The server model against the proxy model over a temporary file, with NuttX's 10 ms polling. */
class NuttxModelsTest {
    /** Stall detector only: everything here takes a few ticks, or about a second for a slave's vdev retry. */
    private static final Duration STALL = Duration.ofSeconds(30);
    private static final int ACK_CHECK = NuttxPing.ACK | NuttxPing.CHECK;

    @TempDir
    Path dir;

    private NuttxServerModel server;
    private NuttxProxyModel proxy;

    @AfterEach
    void closeBoth() {
        if (proxy != null) {
            proxy.close();
        }
        if (server != null) {
            server.close();
        }
    }

    private Path path() {
        return dir.resolve("server-proxy");
    }

    /** Both started (server first, as NuttX's README says), both pings bound both ways. */
    private void startBoth() {
        server = NuttxServerModel.at(path());
        server.start();
        proxy = NuttxProxyModel.at(path());
        proxy.start();
        awaitBound();
    }

    private void awaitBound() {
        await("both rpmsg-ping endpoints bound", () -> server.ping() != null && proxy.ping() != null
                && server.ping().endpoint().ready() && proxy.ping().endpoint().ready());
    }

    private void await(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + STALL.toNanos();
        while (!condition.getAsBoolean()) {
            assertThat(server == null ? null : server.fault()).as("server fault").isNull();
            assertThat(proxy == null ? null : proxy.fault()).as("proxy fault").isNull();
            assertThat(System.nanoTime()).as("waiting for " + what).isLessThan(deadline);
            NuttxRpmsg.sleepMillis(2);
        }
    }

    @Test
    void theHandshakeCompletesAndTheProxyReadsTheServersBase() {
        startBoth();
        NuttxSimFile f = server.file();
        assertThat(f.bootm()).isEqualTo(NuttxSimFile.STATUS_OK);
        assertThat(f.boots()).isEqualTo(NuttxSimFile.STATUS_OK);
        assertThat(f.base()).isEqualTo(NuttxModelOptions.DEFAULT_BASE);
        assertThat(proxy.base()).isEqualTo(NuttxModelOptions.DEFAULT_BASE);
        assertThat(server.state()).isEqualTo(NuttxSide.State.RUNNING);
        assertThat(proxy.state()).isEqualTo(NuttxSide.State.RUNNING);
        assertThat(server.rpmsg().localCpu()).isEqualTo("server");
        assertThat(server.rpmsg().remoteCpu()).isEqualTo("proxy");
        assertThat(proxy.rpmsg().localCpu()).isEqualTo("proxy");
        assertThat(proxy.rpmsg().remoteCpu()).isEqualTo("server");
        assertThat(proxy.rpmsg().maxPayload()).isEqualTo(1520);
    }

    @Test
    void aProxyStartedFirstCreatesTheFileAndWaitsForTheServer() throws Exception {
        proxy = NuttxProxyModel.at(path());
        proxy.start();
        await("the proxy's BOOT", () -> Files.exists(path()) && proxy.file() != null
                && (proxy.file().boots() & NuttxSimFile.STATUS_BOOT) != 0);
        assertThat(Files.size(path())).isEqualTo(NuttxSimFile.SIZE);
        server = NuttxServerModel.at(path());
        server.start();
        awaitBound();
    }

    @Test
    void afterLayoutTheTableHoldsTheVringDasNotifyIdsAndStatusesNuttxWrites() {
        startBoth();
        await("both entropy drivers", () -> server.entropy(1) != null);
        MemorySegment m = server.file().memory();
        assertThat(m.get(LE_U32, 0x40 + 28)).as("rng0 vring da").isEqualTo(0xA8);
        assertThat(m.get(LE_U32, 0x100A8 + 28)).as("rng1 vring da").isEqualTo(0x10110);
        assertThat(m.get(LE_U32, 0x2012C)).as("rpmsg vring0 da").isEqualTo(0x201CC);
        assertThat(m.get(LE_U32, 0x20140)).as("rpmsg vring1 da").isEqualTo(0x202AC);
        assertThat(new int[] {m.get(LE_U32, 0x48), m.get(LE_U32, 0x40 + 40), m.get(LE_U32, 0x100B0),
                m.get(LE_U32, 0x100A8 + 40), m.get(LE_U32, 0x20118), m.get(LE_U32, 0x20138), m.get(LE_U32, 0x2014C)})
                .as("notify ids").containsExactly(0, 1, 2, 3, 4, 5, 6);
        assertThat(m.get(LE_U8, 0x20128)).as("rpmsg status: DRIVER_OK written whole").isEqualTo((byte) 0x04);
        assertThat(m.get(LE_U32, 0x20120)).as("rpmsg gfeatures").isEqualTo(0xF);
        assertThat(m.get(LE_U8, 0x40 + 24)).as("rng0 status").isEqualTo((byte) 0x04);
        assertThat(m.get(LE_U8, 0x100A8 + 24)).as("rng1 status").isEqualTo((byte) 0x04);
        assertThat(m.get(LE_U32, 0x40 + 16)).as("rng0 gfeatures").isZero();

        NuttxTable.VringPlace vring0 = NuttxTable.place(0x201CC, 8, 8);
        NuttxTable.VringPlace vring1 = NuttxTable.place(0x202AC, 8, 8);
        assertThat(VringUsedLayout.flagsAcquire(m, vring0.used())).as("proxy: no kicks for refilled RX")
                .isEqualTo(VringUsedLayout.F_NO_NOTIFY);
        assertThat(VringAvailLayout.flagsAcquire(m, vring1.avail())).as("server: no kicks for returned TX")
                .isEqualTo(VringAvailLayout.F_NO_INTERRUPT);
        assertThat(VringAvailLayout.idxAcquire(m, vring0.avail())).as("8 RX buffers posted, then refills")
                .isGreaterThanOrEqualTo(8);
    }

    @Test
    void theServerPingsTheProxyWithCheckThroughTenMillisecondPolling() {
        startBoth();
        NuttxPing.Result result = server.ping().ping(20, 64, ACK_CHECK, Duration.ZERO, STALL);
        assertThat(result.times()).isEqualTo(20);
        assertThat(result.lastLength()).isEqualTo(64);
        assertThat(server.ping().roundTrips()).isEqualTo(20);
        assertThat(proxy.ping().answered()).isEqualTo(20);
        assertThat(proxy.ping().checkFailures()).isZero();
        assertThat(server.ping().unknownCookies()).isZero();
        assertThat(result.min()).as("a round trip waits for at least one look").isPositive();
    }

    @Test
    void theProxyPingsTheServerWithCheckRandomLengthsAndTheLargestMessage() {
        startBoth();
        proxy.ping().ping(10, 1520, ACK_CHECK | NuttxPing.RANDOMLEN, Duration.ZERO, STALL);
        NuttxPing.Result big = proxy.ping().ping(3, 5000, ACK_CHECK, Duration.ZERO, STALL);
        assertThat(big.lastLength()).as("capped at the 1,520-byte payload").isEqualTo(1520);
        assertThat(proxy.ping().roundTrips()).isEqualTo(13);
        assertThat(server.ping().answered()).isEqualTo(13);
        assertThat(server.ping().checkFailures()).isZero();
        assertThat(server.rpmsg().dropped()).isZero();
        assertThat(proxy.rpmsg().dropped()).isZero();
    }

    @Test
    void whatTheProxyLogsArrivesAtTheServerLineByLine() {
        startBoth();
        await("the syslog endpoints bound", () -> proxy.syslog().endpoint().ready()
                && server.syslog().endpoint() != null);
        proxy.syslog().log("NuttShell (NSH) NuttX-12\nnsh> ");
        proxy.syslog().log("uname\n" + "x".repeat(4000) + "\n");
        await("three lines", () -> server.syslog().lines().size() == 3);
        assertThat(server.syslog().lines()).containsExactly("NuttShell (NSH) NuttX-12", "nsh> uname", "x".repeat(4000));
        assertThat(server.rpmsg().unboundAnnouncements()).isEmpty();
    }

    @Test
    void unameTypedOnTheServersTtyproxyIsAnsweredByTheProxysShell() {
        startBoth();
        await("both tty endpoints bound", () -> server.tty().endpoint().ready() && proxy.tty().endpoint().ready());
        server.tty().write("uname -a\n");
        await("the answer and a prompt", () -> server.tty().output().endsWith("nsh> "));
        assertThat(server.tty().output()).isEqualTo("uname -a\n" + NuttxTty.UNAME + "\nnsh> ");
        await("both writes acknowledged", () -> server.tty().responses() == 1 && proxy.tty().responses() >= 1);
    }

    @Test
    void modelsPollAsOftenAsTheyAreTold() {
        NuttxModelOptions fast = NuttxModelOptions.defaults().withPollPeriod(Duration.ofMillis(1))
                .withRetryPeriod(Duration.ofMillis(20));
        server = new NuttxServerModel(path(), fast);
        server.start();
        proxy = new NuttxProxyModel(path(), fast);
        proxy.start();
        awaitBound();
        server.ping().ping(50, 100, ACK_CHECK, Duration.ZERO, STALL);
        assertThat(proxy.ping().answered()).isEqualTo(50);
    }

    @Test
    void aRequestWithoutAckIsNotAnswered() {
        startBoth();
        server.ping().ping(3, 32, NuttxPing.CHECK, Duration.ZERO, STALL);
        await("three requests seen", () -> proxy.ping().requestsReceived() == 3);
        assertThat(proxy.ping().answered()).isZero();
        assertThat(server.ping().responsesReceived()).isZero();
    }

    @Test
    void pingsBothWaysAtOnceShareTheRings() throws Exception {
        startBoth();
        Thread other = Thread.ofPlatform().start(() -> proxy.ping().ping(30, 200, ACK_CHECK, Duration.ZERO, STALL));
        server.ping().ping(30, 300, ACK_CHECK, Duration.ZERO, STALL);
        other.join(STALL);
        assertThat(server.ping().roundTrips()).isEqualTo(30);
        assertThat(proxy.ping().roundTrips()).isEqualTo(30);
        assertThat(server.ping().checkFailures() + proxy.ping().checkFailures()).isZero();
    }

    @Test
    void theProxyFillsBothEntropyDevicesBuffers() {
        startBoth();
        await("both vhost-rng devices", () -> proxy.entropy(0) != null && proxy.entropy(1) != null);
        byte[] first = server.entropy(0).read(64, STALL);
        byte[] second = server.entropy(1).read(1000, STALL);
        assertThat(first).hasSize(64).isNotEqualTo(new byte[64]);
        assertThat(second).hasSize(1000).isNotEqualTo(new byte[1000]);
        assertThat(server.entropy(0).bytesReceived()).isEqualTo(64);
        assertThat(proxy.entropy(0).bytesServed()).isEqualTo(64);
        assertThat(proxy.entropy(1).buffersServed()).isEqualTo(1);
        for (int i = 0; i < 20; i++) {
            server.entropy(0).read(16, STALL);
        }
        assertThat(proxy.entropy(0).buffersServed()).as("descriptors are recycled past num 8").isEqualTo(21);
    }

    @Test
    void theServersStopMakesTheProxyAbortAndRemovesTheFile() {
        startBoth();
        server.stop();
        await("the proxy's abort", () -> proxy.state() == NuttxSide.State.ABORTED);
        assertThat(proxy.abortReason()).isEqualTo("STOP");
        assertThat(proxy.abortValue()).isZero();
        assertThat(Files.exists(path())).isFalse();
        MemorySegment m = proxy.file().memory();
        assertThat(new byte[] {m.get(LE_U8, 0x40 + 24), m.get(LE_U8, 0x100A8 + 24), m.get(LE_U8, 0x20128)})
                .as("every vdev reset before the STOP").containsExactly(0, 0, 0);
        assertThat(m.get(LE_U32, 0x20)).as("cmd_master").isEqualTo(NuttxSimFile.cmd(NuttxSimFile.CMD_STOP, 0));
    }

    @Test
    void theServersStopAnnouncesThatEachOfItsEndpointsIsGone() {
        startBoth();
        await("the syslog server bound", () -> server.syslog().endpoint() != null);
        proxy.close();
        NuttxSimFile observer = NuttxSimFile.open(path());
        try {
            server.stop();
            NuttxTable.VringPlace vring1 = NuttxTable.place(0x202AC, 8, 8);
            MemorySegment m = observer.memory();
            int idx = VringAvailLayout.idxAcquire(m, vring1.avail());
            List<String> names = new ArrayList<>();
            for (int i = 3; i >= 1; i--) {
                int head = VringAvailLayout.ring(m, vring1.avail(), (idx - i) & 7);
                long offset = m.get(LE_U64, vring1.desc() + 16L * head) - NuttxModelOptions.DEFAULT_BASE;
                assertThat(m.get(LE_U32, offset + 4)).as("dst: the name service").isEqualTo(NuttxRpmsg.NS_ADDR);
                assertThat(m.get(LE_U32, offset + 16 + 36)).as("NS DESTROY").isEqualTo(1);
                names.add(NuttxTable.name(m, offset + 16, 32));
            }
            assertThat(names).containsExactly(NuttxPing.NAME, NuttxTty.NAME, NuttxSyslog.NAME);
        } finally {
            observer.close();
        }
    }

    @Test
    void aStopFromTheSlaveMakesTheServerAbort() {
        startBoth();
        try (NuttxSimFile asSlave = NuttxSimFile.open(path())) {
            asSlave.cmdSlave(NuttxSimFile.cmd(NuttxSimFile.CMD_STOP, 3));
        }
        await("the server's abort", () -> server.state() == NuttxSide.State.ABORTED);
        assertThat(server.abortReason()).isEqualTo("STOP");
        assertThat(server.abortValue()).isEqualTo(3);
        assertThat(proxy.state()).isEqualTo(NuttxSide.State.RUNNING);
    }

    @Test
    void aServerThatLeavesEntropyAloneStillServesRpmsg() {
        server = new NuttxServerModel(path(), NuttxModelOptions.defaults().withEntropy(false));
        server.start();
        proxy = NuttxProxyModel.at(path());
        proxy.start();
        awaitBound();
        server.ping().ping(2, 17, ACK_CHECK, Duration.ZERO, STALL);
        assertThat(server.file().memory().get(LE_U8, 0x40 + 24)).as("rng0 status left at 0").isZero();
        assertThat(proxy.entropy(0)).isNull();
        assertThat(proxy.state()).isEqualTo(NuttxSide.State.RUNNING);
    }

    @Test
    void aProxyWhoseMasterNeverSaysOkGivesUpAfterItsBootStall() {
        proxy = new NuttxProxyModel(path(), NuttxModelOptions.defaults().withBootStall(Duration.ofMillis(200)));
        proxy.start();
        awaitState(proxy, NuttxSide.State.FAULTED);
        assertThat(proxy.fault()).hasMessageContaining("the master's OK");
        assertThat(proxy.file().boots()).as("it said BOOT and waited").isEqualTo(NuttxSimFile.STATUS_BOOT);
    }

    @Test
    void aProxyRefusesATableThatIsNotNuttxs() {
        try (NuttxSimFile master = NuttxSimFile.open(path())) {
            master.memory().set(LE_U32, 0x18, 2);
            master.bootm(NuttxSimFile.STATUS_OK);
        }
        proxy = NuttxProxyModel.at(path());
        proxy.start();
        awaitState(proxy, NuttxSide.State.FAULTED);
        assertThat(proxy.fault()).hasMessageContaining("not a resource table: ver 2");
    }

    @Test
    void aProxyRefusesAVringDaThatRunsPastTheFile() {
        try (NuttxSimFile master = NuttxSimFile.open(path())) {
            MemorySegment m = master.memory();
            NuttxTable.writeServerTable(m);
            NuttxTable.assignNotifyIds(m);
            m.set(LE_U32, 0x2012C, 0x201CC);
            m.set(LE_U32, 0x20140, NuttxSimFile.SIZE - 16);
            m.set(LE_U8, 0x20128, (byte) 0x04);
            master.base(NuttxModelOptions.DEFAULT_BASE);
            master.bootm(NuttxSimFile.STATUS_OK);
        }
        proxy = NuttxProxyModel.at(path());
        proxy.start();
        awaitState(proxy, NuttxSide.State.FAULTED);
        assertThat(proxy.fault()).hasMessageContaining("does not fit");
        assertThat(proxy.rpmsg()).isNull();
    }

    private static void awaitState(NuttxSide side, NuttxSide.State state) {
        long deadline = System.nanoTime() + STALL.toNanos();
        while (side.state() != state) {
            assertThat(System.nanoTime()).as("waiting for " + state + ", now " + side.state()).isLessThan(deadline);
            NuttxRpmsg.sleepMillis(2);
        }
    }

    @Test
    void aProxyFaultsOnADescriptorOutsideTheFile() {
        startBoth();
        // A hostile driver offers a descriptor whose pa (0x10) lies below base: outside the file's window.
        MemorySegment m = server.file().memory();
        NuttxTable.VringPlace vring1 = NuttxTable.place(0x202AC, 8, 8);
        int next = VringAvailLayout.idxAcquire(m, vring1.avail());
        int head = 7;
        m.set(LE_U64, vring1.desc() + 16L * head, 0x10L);
        m.set(LE_U32, vring1.desc() + 16L * head + 8, 1536);
        VringAvailLayout.ring(m, vring1.avail(), next & 7, head);
        VringAvailLayout.idxRelease(m, vring1.avail(), (next + 1) & 0xFFFF);
        server.file().incrementSeqm();
        awaitState(proxy, NuttxSide.State.FAULTED);
        assertThat(proxy.fault()).hasMessageContaining("outside the file");
    }
}
