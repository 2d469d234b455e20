package io.rptun.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.rptun.core.lifecycle.Rptun;
import io.rptun.core.lifecycle.RptunOptions;
import io.rptun.examples.cli.RptunCliTest.Run;
import io.rptun.sim.NuttxSimDriver;
import io.rptun.sim.NuttxSimOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The command line over NuttX's simulator file: dump decodes it, host and remote refuse what they must. */
@Timeout(120)
class NuttxSimCliTest {
    private static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    Path dir;

    @Test
    void dumpDecodesNuttxsHeaderAllSixEntriesAndTheRingsOfALiveLink() throws Exception {
        Path file = dir.resolve("server-proxy");
        NuttxSimOptions options = NuttxSimOptions.defaults().withPath(file).withAttachTimeout(WAIT);
        try (Rptun server = Rptun.create(NuttxSimDriver.server(options), RptunOptions.defaults()
                .withReadyCommand(false).withMailboxTimeout(Duration.ofMillis(300)))) {
            CompletableFuture<?> up = CompletableFuture.runAsync(server::start);
            try (Rptun proxy = Rptun.create(NuttxSimDriver.proxy(options), RptunOptions.defaults())) {
                proxy.start();
                up.get(30, TimeUnit.SECONDS);

                Run text = RptunCliTest.run("dump", file.toString());
                assertThat(text.code()).isZero();
                assertThat(text.out()).contains("NuttX simulator file", "boots 0x2 OK", "bootm 0x2 OK",
                        "\"rng0_shm\"", "\"rng1_shm\"", "\"rpmsg0_shm\"", "da 0x201cc", "da 0x202ac",
                        "cpus host \"server\", remote \"proxy\"", "dfeatures 0x0000000f NS ACK BUFSZ CPUNAME");
                assertThat(text.out()).as("descriptor pa's are read as file offsets").doesNotContain("OUTSIDE");

                Run json = RptunCliTest.run("dump", file.toString(), "--json");
                assertThat(json.code()).isZero();
                assertThat(json.out()).startsWith("{").contains("NUTTX");
            }
        }
        assertThat(file).doesNotExist();
    }

    @Test
    void aNuttxHostRefusesAForeignFileAndARemoteWithoutServerTimesOut() throws Exception {
        Path file = dir.resolve("server-proxy");
        Files.writeString(file, "not nuttx");
        Run host = RptunCliTest.run("host", "--nuttx-sim", "--shm", file.toString(), "--wait-ms", "300");
        assertThat(host.code()).isEqualTo(ExitCodes.BAD_INPUT);
        assertThat(host.err()).contains("FOREIGN_FILE");
        assertThat(Files.readString(file)).isEqualTo("not nuttx");

        Path none = dir.resolve("none");
        Run remote = RptunCliTest.run("remote", "--nuttx-sim", "--shm", none.toString(), "--wait-ms", "300");
        assertThat(remote.code()).isEqualTo(ExitCodes.FAILED);
        assertThat(remote.err()).contains("TIMEOUT");
        assertThat(none).doesNotExist();
    }
}
