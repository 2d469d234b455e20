package io.rptun.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.rptun.core.lifecycle.Rptun;
import io.rptun.core.lifecycle.RptunOptions;
import io.rptun.core.lifecycle.RptunState;
import io.rptun.core.memory.WireLayouts;
import io.rptun.core.rpmsg.RpmsgDevice;
import io.rptun.core.rpmsg.RpmsgEndpoint;
import io.rptun.core.rsc.FwRscVdevLayout;
import io.rptun.core.rsc.FwRscVdevVringLayout;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** rptun as NuttX's server and rptun as NuttX's proxy, over NuttX's simulator file, in one JVM. */
@Timeout(120)
class NuttxSimDriverTest {
    private static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    Path dir;

    private NuttxSimOptions options() {
        return NuttxSimOptions.defaults().withPath(dir.resolve("server-proxy")).withAttachTimeout(WAIT);
    }

    /** A running server and proxy. */
    private record Pair(Rptun server, Rptun proxy, NuttxSimDriver serverDriver, NuttxSimDriver proxyDriver)
            implements AutoCloseable {
        @Override
        public void close() {
            try {
                proxy.close();
            } finally {
                server.close();
            }
        }
    }

    private Pair start() throws Exception {
        NuttxSimDriver serverDriver = NuttxSimDriver.server(options());
        Rptun server = Rptun.create(serverDriver, RptunOptions.defaults().withReadyTimeout(WAIT)
                .withReadyCommand(false).withMailboxTimeout(Duration.ofMillis(500)));
        CompletableFuture<RpmsgDevice> up = CompletableFuture.supplyAsync(server::start);
        NuttxSimDriver proxyDriver = NuttxSimDriver.proxy(options());
        Rptun proxy = Rptun.create(proxyDriver, RptunOptions.defaults().withReadyTimeout(WAIT));
        proxy.start();
        up.get(30, TimeUnit.SECONDS);
        return new Pair(server, proxy, serverDriver, proxyDriver);
    }

    @Test
    void aServerLaysOutNuttxsTableAndPlacesTheVringsAtTheCarveoutStartsAsNuttxDoes() throws Exception {
        try (Pair p = start()) {
            MemorySegment file = p.serverDriver().file().segment();
            MemorySegment t = NuttxSimLayout.table(file);
            assertThat(file.byteSize()).isEqualTo(197_072);
            assertThat(NuttxSimLayout.hasNuttxTable(file)).isTrue();
            long rpmsg = NuttxSimLayout.ENTRY_OFFSETS[4];
            assertThat(t.get(WireLayouts.LE_U32, rpmsg + FwRscVdevLayout.DFEATURES_OFFSET)).isEqualTo(0xF);
            long vring0 = FwRscVdevLayout.vringOffset(rpmsg, 0);
            long vring1 = FwRscVdevLayout.vringOffset(rpmsg, 1);
            assertThat(NuttxSimLayout.TABLE_OFFSET + vring0).isEqualTo(0x2012C);
            assertThat(t.get(WireLayouts.LE_U32, vring0 + FwRscVdevVringLayout.DA_OFFSET)).isEqualTo(0x201CC);
            assertThat(t.get(WireLayouts.LE_U32, vring1 + FwRscVdevVringLayout.DA_OFFSET)).isEqualTo(0x202AC);
            long rng0 = FwRscVdevLayout.vringOffset(NuttxSimLayout.ENTRY_OFFSETS[0], 0);
            assertThat(t.get(WireLayouts.LE_U32, rng0 + FwRscVdevVringLayout.DA_OFFSET)).isEqualTo(0xA8);
            assertThat(file.get(WireLayouts.LE_U8, 0x20128)).as("rpmsg status: DRIVER_OK written whole")
                    .isEqualTo((byte) FwRscVdevLayout.STATUS_DRIVER_OK);
            assertThat(new String(file.asSlice(0x2016C, 6).toArray(WireLayouts.LE_U8))).isEqualTo("server");
            assertThat(new String(file.asSlice(0x20174, 5).toArray(WireLayouts.LE_U8))).isEqualTo("proxy");
            assertThat(NuttxSimLayout.getVolatile(file, NuttxSimLayout.BOOTM_OFFSET)).isEqualTo(NuttxSimLayout.STATUS_OK);
            assertThat(NuttxSimLayout.getVolatile(file, NuttxSimLayout.BOOTS_OFFSET)).isEqualTo(NuttxSimLayout.STATUS_OK);
            assertThat(NuttxSimLayout.base(file)).isEqualTo(file.address());
            // The server's RX buffers, posted on vring0: descriptors carry pa's (base + offset) in the rpmsg heap.
            long desc0 = file.get(WireLayouts.LE_U64, 0x201CC) - NuttxSimLayout.base(file);
            assertThat(desc0).isBetween(0x202ACL + 0xE0, 0x301CCL - 0x600);
            assertThat(file.get(WireLayouts.LE_U32, 0x201CC + 8)).as("len: always the full 1,536").isEqualTo(0x600);
        }
    }

    @Test
    void aServerAndAProxyEchoFullSizeMessagesThroughPolledCounters() throws Exception {
        try (Pair p = start()) {
            assertThat(p.server().state()).isEqualTo(RptunState.RUNNING);
            RpmsgDevice proxy = p.proxy().awaitRunning(WAIT);
            RpmsgDevice server = p.server().device();
            assertThat(server.stats().toString()).isNotEmpty();
            proxy.createEndpoint("echo", (ep, msg) -> ep.send(msg.payload()));
            BlockingQueue<byte[]> got = new LinkedBlockingQueue<>();
            RpmsgEndpoint echo = server.createEndpoint("echo", (ep, msg) -> got.add(msg.toByteArray()));
            assertThat(echo.awaitBound(WAIT)).isTrue();
            assertThat(echo.maxPayload()).as("1,536-byte buffers from fw_rsc_config").isEqualTo(1520);
            for (int i = 0; i < 2000; i++) {
                byte[] m = new byte[1 + i % 1520];
                Arrays.fill(m, (byte) i);
                echo.send(m);
            }
            for (int i = 0; i < 2000; i++) {
                byte[] m = got.poll(20, TimeUnit.SECONDS);
                assertThat(m).as("echo %d", i).isNotNull().hasSize(1 + i % 1520);
                assertThat(m[m.length - 1]).isEqualTo((byte) i);
            }
        }
    }

    @Test
    void aPeerThatRestartsIsReportedLostSinceNuttxDoesNotSurviveIt() throws Exception {
        try (Pair p = start()) {
            MemorySegment file = p.serverDriver().file().segment();
            NuttxSimLayout.setVolatile(file, NuttxSimLayout.BOOTM_OFFSET, NuttxSimLayout.STATUS_NEED_RESET);
            assertThat(p.server().awaitState(RptunState.PEER_LOST, WAIT)).isTrue();
        }
    }

    @Test
    void aServerRefusesAForeignFileAndAProxyWritesNothingToIt() throws Exception {
        Path path = dir.resolve("server-proxy");
        byte[] foreign = new byte[(int) NuttxSimLayout.FILE_SIZE];
        Arrays.fill(foreign, (byte) 0x42);
        Files.write(path, foreign);
        assertThatThrownBy(() -> NuttxSimDriver.server(options()))
                .isInstanceOfSatisfying(SimException.class, e -> assertThat(e.reason())
                        .isEqualTo(SimException.Reason.FOREIGN_FILE));
        assertThatThrownBy(() -> NuttxSimDriver.proxy(options().withAttachTimeout(Duration.ofMillis(200))))
                .isInstanceOfSatisfying(SimException.class, e -> assertThat(e.reason())
                        .isEqualTo(SimException.Reason.FOREIGN_FILE));
        assertThat(Files.readAllBytes(path)).isEqualTo(foreign);
        Files.write(path, new byte[100]);
        assertThatThrownBy(() -> NuttxSimDriver.proxy(options()))
                .isInstanceOfSatisfying(SimException.class, e -> assertThat(e.reason())
                        .isEqualTo(SimException.Reason.WRONG_SIZE));
        assertThat(Files.size(path)).isEqualTo(100);
    }

    @Test
    void aStaleNuttxFileThatNobodyMapsIsReplaced() throws Exception {
        try (SimFile stale = SimFile.createRaw(dir.resolve("server-proxy"), NuttxSimLayout.FILE_SIZE, false)) {
            NuttxSimLayout.writeTable(stale.segment(), "server", "proxy");
        }
        NuttxSimDriver server = NuttxSimDriver.server(options());
        assertThat(server.file().createdHere()).isTrue();
        server.close();
        assertThat(dir.resolve("server-proxy")).doesNotExist();
    }

    @Test
    void aProxyWaitsForTheServerAndTimesOutWithATypedErrorWhenNoneComes() {
        assertThatThrownBy(() -> NuttxSimDriver.proxy(options().withAttachTimeout(Duration.ofMillis(200))))
                .isInstanceOfSatisfying(SimException.class, e -> assertThat(e.reason())
                        .isEqualTo(SimException.Reason.TIMEOUT));
        assertThat(dir.resolve("server-proxy")).as("a proxy never creates the file").doesNotExist();
    }

    @Test
    void aServerWhoseProxyNeverBootsFailsWithATimeoutAndRemovesItsFile() {
        NuttxSimOptions quick = options().withAttachTimeout(Duration.ofMillis(300));
        try (Rptun server = Rptun.create(NuttxSimDriver.server(quick), RptunOptions.defaults().withReadyCommand(false)
                .withReadyTimeout(WAIT))) {
            assertThatThrownBy(server::start).hasRootCauseInstanceOf(SimException.class)
                    .rootCause().hasMessageContaining("to boot");
            assertThat(server.state()).isEqualTo(RptunState.FAILED);
        }
        assertThat(dir.resolve("server-proxy")).doesNotExist();
    }

    @Test
    void aProxyWhoseServerNeverSaysOkFailsWithATimeoutAndLeavesTheServersFile() throws Exception {
        Path path = dir.resolve("server-proxy");
        try (SimFile fake = SimFile.createRaw(path, NuttxSimLayout.FILE_SIZE, false)) {
            NuttxSimLayout.writeTable(fake.segment(), "server", "proxy");
            NuttxSimLayout.setVolatile(fake.segment(), NuttxSimLayout.BOOTM_OFFSET, NuttxSimLayout.STATUS_BOOT);
            NuttxSimOptions quick = options().withAttachTimeout(Duration.ofMillis(300));
            try (Rptun proxy = Rptun.create(NuttxSimDriver.proxy(quick), RptunOptions.defaults().withReadyTimeout(WAIT))) {
                assertThatThrownBy(proxy::start).hasRootCauseInstanceOf(SimException.class)
                        .rootCause().hasMessageContaining("to finish booting");
            }
            assertThat(NuttxSimLayout.getVolatile(fake.segment(), NuttxSimLayout.BOOTS_OFFSET))
                    .as("the proxy said BOOT, as NuttX's does").isEqualTo(NuttxSimLayout.STATUS_BOOT);
        }
        assertThat(path).as("not the proxy's to delete").exists();
    }
}
