package io.rptun.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.rptun.core.lifecycle.Rptun;
import io.rptun.core.lifecycle.RptunOptions;
import io.rptun.core.nuttx.NuttxPing;
import io.rptun.core.nuttx.PingRequest;
import io.rptun.core.nuttx.PingResult;
import io.rptun.core.rpmsg.RpmsgDevice;
import io.rptun.core.rpmsg.RpmsgEndpoint;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** A remote in this JVM, in whatever order a user starts things. */
@Timeout(60)
class InJvmRemoteTest {
    private static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    Path dir;

    private static void echoOnce(RpmsgDevice device) throws InterruptedException {
        BlockingQueue<String> got = new LinkedBlockingQueue<>();
        RpmsgEndpoint echo = device.createEndpoint(SimRemote.ECHO, (ep, msg) -> got.add(msg.asString()));
        assertThat(echo.awaitBound(WAIT)).isTrue();
        echo.send("hi".getBytes(StandardCharsets.UTF_8));
        assertThat(got.poll(20, TimeUnit.SECONDS)).isEqualTo("hi");
    }

    @Test
    void aRemoteStartedBeforeItsHostWaitsForTheFileInsteadOfFailing() throws Exception {
        SimOptions options = SimOptions.defaults("x").withPath(dir.resolve("link"));
        try (SimRemote remote = SimRemote.start(options, true, false, List.of());
                Rptun host = Rptun.create(SimDriver.host(options, null), RptunOptions.defaults())) {
            echoOnce(host.start());
            assertThat(remote.awaitRunning(WAIT)).isNotNull();
        }
    }

    @Test
    void anInJvmLauncherMakesHostAndRemoteOneLine() throws Exception {
        SimOptions options = SimOptions.defaults("x").withPath(dir.resolve("link"));
        try (Rptun host = Rptun.create(SimDriver.host(options, SimRemote.inThisJvm(options, true, false, List.of())),
                RptunOptions.defaults())) {
            echoOnce(host.start());
            echoOnce(host.reset(0)); // a new layout boots a new in-JVM remote
        }
        assertThat(dir.resolve("link")).doesNotExist();
    }

    @Test
    void aRemoteWhoseFileNeverComesSaysSoWhenAskedAndClosesAtOnce() {
        SimOptions options = SimOptions.defaults("x").withPath(dir.resolve("none"))
                .withAttachTimeout(Duration.ofMillis(200));
        SimRemote remote = SimRemote.start(options, true, false, List.of());
        assertThatThrownBy(remote::rptun).isInstanceOfSatisfying(SimException.class,
                e -> assertThat(e.reason()).isEqualTo(SimException.Reason.FILE_MISSING));
        remote.close();
    }

    @Test
    void aRemoteInThisJvmCountsThePingsItAnsweredAndCheckedSoATestCanSeeWhatReachedIt() throws Exception {
        SimOptions options = SimOptions.defaults("x").withPath(dir.resolve("link"));
        try (SimRemote remote = SimRemote.start(options, false, false, List.of());
                Rptun host = Rptun.create(SimDriver.host(options, null), RptunOptions.defaults())) {
            NuttxPing ping = NuttxPing.open(host.start());
            assertThat(ping.awaitBound(WAIT)).isTrue();
            PingResult acked = ping.ping(PingRequest.of(20, 64, NuttxPing.ACK | NuttxPing.CHECK, Duration.ZERO));
            assertThat(acked.answered()).isEqualTo(20);

            NuttxPing.Counters seen = remote.pingCounters();
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (seen.answered() < 20 && System.nanoTime() - deadline < 0) {
                Thread.sleep(1); // the responder counts an answer just after sending it
            }
            assertThat(seen.answered()).isEqualTo(20);
            assertThat(seen.checked()).as("every fill was checked").isEqualTo(20);
            assertThat(seen.unanswered()).isZero();
            assertThat(seen.drops().total()).as("no wrong fill").isZero();
        }
    }
}
