package io.rptun.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.rptun.examples.cli.RptunCliTest.Run;
import io.rptun.test.nuttx.NuttxModelOptions;
import io.rptun.test.nuttx.NuttxPing;
import io.rptun.test.nuttx.NuttxProxyModel;
import io.rptun.test.nuttx.NuttxServerModel;
import io.rptun.test.nuttx.NuttxSide;
import java.io.InputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The NuttX commands against models of NuttX's simulator processes: ping either way, the proxy's console,
 * and the proxy's log printed by the server.
 */
@Timeout(180)
class NuttxServicesCliTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    private Path file() {
        return dir.resolve("server-proxy");
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime() - deadline).as("waiting for %s", what).isNegative();
            Thread.sleep(10);
        }
    }

    @Test
    void pingAsTheProxyIsAnsweredAndCheckedByNuttxsServer() throws Exception {
        try (NuttxServerModel server = new NuttxServerModel(file(), NuttxModelOptions.defaults())) {
            server.start();
            Run r = RptunCliTest.run("ping", "--nuttx-sim", "--shm", file().toString(), "-n", "20", "-l", "64",
                    "--ack", "3", "--pipeline", "100", "--wait-ms", "30000");
            assertThat(r.code()).as(r.err()).isZero();
            assertThat(r.out()).contains("rptun is the proxy", "round trip", "pipelined");
            assertThat(server.ping().answered()).isGreaterThanOrEqualTo(120);
            assertThat(server.ping().checkFailures()).isZero();
            assertThat(server.fault()).isNull();
        }
    }

    @Test
    void pingAsTheServerIsAnsweredByNuttxsProxy() throws Exception {
        try (NuttxProxyModel proxy = new NuttxProxyModel(file(), NuttxModelOptions.defaults())) {
            // The server first, as with NuttX: a proxy that made the file first has it mapped (IN_USE).
            CompletableFuture<Run> ping = CompletableFuture.supplyAsync(() -> RptunCliTest.run("ping", "--nuttx-sim",
                    "--server", "--shm", file().toString(), "-n", "10", "--ack", "3", "--pipeline", "0", "--wait-ms",
                    "30000"));
            await("the server's file", () -> file().toFile().exists());
            proxy.start();
            Run r = ping.get(60, TimeUnit.SECONDS);
            assertThat(r.code()).as(r.err()).isZero();
            assertThat(r.out()).contains("rptun is the server", "round trip");
            assertThat(proxy.ping().answered()).isEqualTo(10);
            assertThat(file()).as("the server removed the file it made").doesNotExist();
        }
    }

    @Test
    void theHostAnswersNuttxsPingAndPrintsTheProxysLog() throws Exception {
        StringWriter out = new StringWriter();
        CompletableFuture<Integer> host = CompletableFuture.supplyAsync(() -> RptunCli.execute(
                new String[] {"host", "--nuttx-sim", "--shm", file().toString(), "--wait-ms", "30000"},
                new PrintWriter(out, true), new PrintWriter(new StringWriter(), true)));
        try (NuttxProxyModel proxy = new NuttxProxyModel(file(), NuttxModelOptions.defaults())) {
            await("the server's file", () -> file().toFile().exists());
            proxy.start();
            await("the proxy model to run", () -> proxy.state() == NuttxSide.State.RUNNING);
            NuttxPing.Result pinged = proxy.ping().ping(5, 64, NuttxPing.ACK | NuttxPing.CHECK, Duration.ZERO, WAIT);
            assertThat(pinged.times()).isEqualTo(5);
            await("the syslog endpoint", () -> proxy.syslog() != null);
            proxy.syslog().log("hello from the proxy\n");
            await("the log line", () -> out.toString().contains("proxy log: hello from the proxy"));
        }
        // A proxy that restarts asks for a reset, which this NuttX does not survive: the host reports it lost.
        try (io.rptun.sim.SimFile shared = io.rptun.sim.SimFile.openRaw(file(), io.rptun.sim.NuttxSimLayout.FILE_SIZE)) {
            io.rptun.sim.NuttxSimLayout.setVolatile(shared.segment(), io.rptun.sim.NuttxSimLayout.BOOTM_OFFSET,
                    io.rptun.sim.NuttxSimLayout.STATUS_NEED_RESET);
        }
        assertThat(host.get(30, TimeUnit.SECONDS)).isEqualTo(ExitCodes.FAILED);
        assertThat(out.toString()).contains("-> PEER_LOST");
    }

    @Test
    void theConsoleTypesIntoTheProxysShellAndPrintsWhatItAnswers() throws Exception {
        PipedOutputStream typing = new PipedOutputStream();
        InputStream stdin = System.in;
        System.setIn(new PipedInputStream(typing));
        StringWriter out = new StringWriter();
        try {
            CompletableFuture<Integer> console = CompletableFuture.supplyAsync(() -> RptunCli.execute(
                    new String[] {"console", "--nuttx-sim", "--shm", file().toString(), "--wait-ms", "30000"},
                    new PrintWriter(out, true), new PrintWriter(new StringWriter(), true)));
            try (NuttxProxyModel proxy = new NuttxProxyModel(file(), NuttxModelOptions.defaults())) {
                await("the server's file", () -> file().toFile().exists());
                proxy.start();
                await("the console to attach", () -> out.toString().contains("attached to rpmsg-ttyproxy"));
                typing.write("uname -a\n".getBytes(StandardCharsets.UTF_8));
                typing.flush();
                await("the proxy's answer", () -> out.toString().contains("NuttX proxy"));
                typing.write("~.\n".getBytes(StandardCharsets.UTF_8));
                typing.flush();
                assertThat(console.get(30, TimeUnit.SECONDS)).isZero();
            }
        } finally {
            System.setIn(stdin);
        }
    }
}
