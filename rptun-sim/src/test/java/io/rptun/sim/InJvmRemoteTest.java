package io.rptun.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.rptun.core.lifecycle.Rptun;
import io.rptun.core.lifecycle.RptunOptions;
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
}
