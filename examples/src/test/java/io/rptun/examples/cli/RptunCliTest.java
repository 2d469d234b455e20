package io.rptun.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.rptun.sim.SimFile;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The {@code rptun} commands, run the way the launcher runs them (minus the JVM exit). */
@Timeout(180)
class RptunCliTest {
    private final Path file = SimFile.shmPath("rptun-cli-test-" + UUID.randomUUID());
    private Process child;

    /** What a run printed and returned. */
    record Run(int code, String out, String err) {
    }

    static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = RptunCli.execute(args, new PrintWriter(out, true), new PrintWriter(err, true));
        System.out.print(out);
        System.err.print(err);
        return new Run(code, out.toString(), err.toString());
    }

    @AfterEach
    void cleanUp() throws Exception {
        if (child != null && child.isAlive()) {
            child.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        Files.deleteIfExists(file);
    }

    @ParameterizedTest
    @ValueSource(strings = {"demo", "ping", "dump", "host", "remote"})
    void everyCommandHasHelp(String command) {
        Run r = run(command, "--help");
        assertThat(r.code()).isZero();
        assertThat(r.out()).contains("Usage: rptun " + command).contains("--help");
    }

    @Test
    void theTopLevelHelpListsTheCommandsAndTheExitCodes() {
        Run r = run("--help");
        assertThat(r.code()).isZero();
        assertThat(r.out()).contains("demo").contains("ping").contains("dump").contains("host").contains("remote")
                .contains("Exit codes").contains("bad usage or bad input");
    }

    @Test
    void badUsageIsExitCodeTwoWithoutAStackTrace() {
        Run r = run("ping", "--no-such-option");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("Unknown option").doesNotContain("\tat ");
        Run bad = run("ping", "--ack", "8");
        assertThat(bad.code()).isEqualTo(2);
        assertThat(bad.err().lines().filter(l -> !l.isBlank()).count()).isEqualTo(1);
    }

    @Test
    void pingMeasuresRoundTripsAndPipelinedThroughputAgainstASimulatedRemoteAndCleansUp() throws Exception {
        Run r = run("ping", "-n", "300", "-l", "128", "--ack", "3", "--random", "--pipeline", "3000");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("ping times: 300, random lengths up to 128").contains("p50").contains("p99.9")
                .contains("rate:").contains("pipelined: 3000 of 3000 answered").contains("MB/s")
                .doesNotContain("did not match");
        try (var shm = Files.list(Path.of("/dev/shm"))) {
            assertThat(shm.map(Path::toString)).noneMatch(p -> p.contains("rptun-ping-" + ProcessHandle.current().pid()));
        }
    }

    @Test
    void pingWithoutAnswersAndWithPausesStillCounts() {
        Run r = run("ping", "-n", "20", "--ack", "0", "--sleep", "1", "--pipeline", "0");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("ping times: 20").doesNotContain("round trip:");
    }

    @Test
    void theDemoStreamsThroughTheReactiveEchoChannelAndRemovesItsFileAndProcess() {
        Run r = run("demo", "-n", "5000", "--pings", "100");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("channel 'rptun-echo' open").contains("round trip over 100 pings")
                .contains("streamed 5,000 messages and got 5,000 back").contains("file removed, remote exited")
                .contains("demo: meter rpmsg.messages.sent{link=demo} ")
                .contains("demo: meter rpmsg.channel.delivered{endpoint=rptun-echo,link=demo} 5100 messages");
    }

    @Test
    void hostAndRemoteCommandsTalkAndTheHostNoticesAKilledRemoteAndRemovesItsFile() throws Exception {
        StringWriter hostOut = new StringWriter();
        StringWriter hostErr = new StringWriter();
        CompletableFuture<Integer> host = CompletableFuture.supplyAsync(() -> RptunCli.execute(
                new String[] {"host", file.toString(), "--wait-ms", "60000"}, new PrintWriter(hostOut, true),
                new PrintWriter(hostErr, true)));
        awaitOutput(hostOut, "waiting up to");
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                RptunCli.class.getName(), "remote", file.toString(), "--echo", "--sink"));
        child = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        // "announced" when the NS create comes after the host listens, "offers" when it came before: both count.
        awaitOutput(hostOut, "'rptun-sink' at 0x");
        child.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        int code = host.get(60, TimeUnit.SECONDS);
        System.out.print(hostOut);
        assertThat(hostOut.toString()).contains("'rptun-echo' at 0x").contains("-> RUNNING")
                .contains("-> PEER_LOST");
        assertThat(code).isEqualTo(ExitCodes.FAILED);
        assertThat(file).doesNotExist();
    }

    /** Waits until {@code out} contains {@code text} (the host prints as things happen). */
    private static void awaitOutput(StringWriter out, String text) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!out.toString().contains(text)) {
            assertThat(System.nanoTime() - deadline).as("waiting for '%s' in:%n%s", text, out).isNegative();
            Thread.sleep(10);
        }
    }
}
