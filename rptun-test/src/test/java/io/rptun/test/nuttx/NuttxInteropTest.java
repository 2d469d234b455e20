package io.rptun.test.nuttx;

import static org.assertj.core.api.Assertions.assertThat;

import io.rptun.core.lifecycle.Rptun;
import io.rptun.core.lifecycle.RptunOptions;
import io.rptun.core.lifecycle.RptunState;
import io.rptun.core.rpmsg.RpmsgDevice;
import io.rptun.sim.NuttxSimDriver;
import io.rptun.sim.NuttxSimLayout;
import io.rptun.sim.NuttxSimOptions;
import io.rptun.sim.SimException;
import io.rptun.sim.SimRemote;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * rptun against models of NuttX's own simulator processes (which poll every 10 ms, write NuttX's table and
 * allocation, and speak NuttX's name service): each side of NuttxSimDriver with the other side NuttX's.
 */
@Timeout(180)
class NuttxInteropTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final int MESSAGES = 300;

    @TempDir
    Path dir;

    private Path file() {
        return dir.resolve("server-proxy");
    }

    private NuttxSimOptions options() {
        return NuttxSimOptions.defaults().withPath(file()).withAttachTimeout(WAIT);
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime() - deadline).as("waiting for %s", what).isNegative();
            Thread.sleep(5);
        }
    }

    /** Sends MESSAGES of growing size from {@code model}'s endpoint and checks every echo. */
    private static void echoes(NuttxRpmsg model) throws Exception {
        BlockingQueue<byte[]> got = new LinkedBlockingQueue<>();
        NuttxRpmsg.Endpoint ep = model.createEndpoint(SimRemote.ECHO, NuttxRpmsg.ADDR_ANY,
                (e, data, src) -> got.add(data));
        await("the echo endpoint to bind", ep::ready);
        for (int i = 0; i < MESSAGES; i++) {
            byte[] m = new byte[1 + (i * 37) % model.maxPayload()];
            Arrays.fill(m, (byte) i);
            ep.send(m);
            byte[] back = got.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
            assertThat(back).as("echo %d", i).isEqualTo(m);
        }
    }

    @Test
    void rptunAsTheProxyEchoesForNuttxsServerAndServesItsEntropyDevices() throws Exception {
        NuttxServerModel server = new NuttxServerModel(file(), NuttxModelOptions.defaults());
        try (server) {
            server.start();
            NuttxSimDriver driver = NuttxSimDriver.proxy(options());
            try (Rptun proxy = Rptun.create(driver, RptunOptions.defaults().withReadyTimeout(WAIT))) {
                RpmsgDevice device = proxy.start();
                device.createEndpoint(SimRemote.ECHO, SimRemote.echoListener());
                await("the server model to run", () -> server.state() == NuttxSide.State.RUNNING);
                echoes(server.rpmsg());

                byte[] random = server.entropy(0).read(64, WAIT);
                assertThat(random).hasSize(64);
                assertThat(server.entropy(1).read(200, WAIT)).hasSize(200);
                assertThat(driver.entropyBytesServed()).isGreaterThanOrEqualTo(264);

                server.stop(); // NuttX's 'rptun stop': STOP in cmd_master
                assertThat(proxy.awaitState(RptunState.OFFLINE, WAIT)).as("the proxy obeys STOP").isTrue();
            }
            assertThat(server.fault()).as("the NuttX model saw nothing wrong").isNull();
        }
    }

    @Test
    void rptunAsTheServerEchoesForNuttxsProxyAndItsStopEndsTheProxy() throws Exception {
        NuttxSimDriver driver = NuttxSimDriver.server(options());
        NuttxProxyModel proxy = new NuttxProxyModel(file(), NuttxModelOptions.defaults());
        try (Rptun server = Rptun.create(driver, RptunOptions.defaults().withReadyTimeout(WAIT)
                .withReadyCommand(false).withMailboxTimeout(Duration.ofMillis(300)));
                proxy) {
            CompletableFuture<RpmsgDevice> up = CompletableFuture.supplyAsync(server::start);
            proxy.start();
            RpmsgDevice device = up.get(WAIT.toSeconds(), TimeUnit.SECONDS);
            device.createEndpoint(SimRemote.ECHO, SimRemote.echoListener());
            await("the proxy model to run", () -> proxy.state() == NuttxSide.State.RUNNING);
            assertThat(proxy.base()).isEqualTo(driver.file().segment().address());
            echoes(proxy.rpmsg());
            assertThat(proxy.rpmsg().localCpu()).isEqualTo("proxy");
            assertThat(proxy.rpmsg().remoteCpu()).isEqualTo("server");
            assertThat(proxy.entropy(0)).as("rptun leaves the entropy devices unconfigured").isNull();

            server.stop();
            await("the proxy model to abort on STOP", () -> proxy.state() == NuttxSide.State.ABORTED);
            assertThat(proxy.fault()).as("the NuttX model saw nothing wrong").isNull();
        }
    }

    @Test
    void aServerWhoseBaseLeavesNoAddressWindowIsATypedStartFailureNotACrash() throws Exception {
        NuttxServerModel server = new NuttxServerModel(file(), NuttxModelOptions.defaults().withBase(-0x10000L));
        try (server) {
            server.start();
            NuttxSimDriver driver = NuttxSimDriver.proxy(options());
            try (Rptun proxy = Rptun.create(driver, RptunOptions.defaults().withReadyTimeout(WAIT))) {
                assertThat(org.assertj.core.api.Assertions.catchThrowable(proxy::start))
                        .isInstanceOf(io.rptun.core.lifecycle.RptunLifecycleException.class)
                        .hasRootCauseInstanceOf(SimException.class)
                        .rootCause().hasMessageContaining("base");
                assertThat(proxy.state()).isEqualTo(RptunState.FAILED);
            }
        }
    }

    @Test
    void aServerCounterThatJumpsAnywhereNeitherLosesNorCorruptsAMessage() throws Exception {
        NuttxServerModel server = new NuttxServerModel(file(), NuttxModelOptions.defaults());
        try (server) {
            server.start();
            NuttxSimDriver driver = NuttxSimDriver.proxy(options());
            try (Rptun proxy = Rptun.create(driver, RptunOptions.defaults().withReadyTimeout(WAIT))) {
                RpmsgDevice device = proxy.start();
                device.createEndpoint(SimRemote.ECHO, SimRemote.echoListener());
                await("the server model to run", () -> server.state() == NuttxSide.State.RUNNING);
                var shm = driver.file().segment();
                java.util.concurrent.atomic.AtomicBoolean scribbling = new java.util.concurrent.atomic.AtomicBoolean(true);
                Thread scribbler = Thread.ofPlatform().start(() -> {
                    java.util.SplittableRandom random = new java.util.SplittableRandom(7);
                    while (scribbling.get()) {
                        // The server's counter jumps anywhere: at worst a wasted look at the rings.
                        NuttxSimLayout.setVolatile(shm, NuttxSimLayout.SEQM_OFFSET, random.nextInt());
                        Thread.onSpinWait();
                    }
                });
                try {
                    echoes(server.rpmsg());
                } finally {
                    scribbling.set(false);
                    scribbler.join();
                }
                assertThat(proxy.state()).isEqualTo(RptunState.RUNNING);
            }
        }
    }
}
