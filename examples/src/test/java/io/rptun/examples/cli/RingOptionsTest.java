package io.rptun.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.rptun.core.rsc.RptunRsc;
import io.rptun.sim.SimOptions;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@code --vring-num} and {@code --buffer-size}: checked before anything is created, and written into the table. */
@Timeout(120)
class RingOptionsTest {
    private final Path file = Path.of("/dev/shm", "rptun-rings-test-" + UUID.randomUUID());

    @AfterEach
    void cleanUp() throws Exception {
        Files.deleteIfExists(file);
    }

    private static RingOptions rings(Integer num, Integer bufferSize) {
        RingOptions r = new RingOptions();
        r.num = num;
        r.bufferSize = bufferSize;
        return r;
    }

    @Test
    void withoutTheOptionsTheSimulatorsDefaultsStand() {
        RingOptions r = new RingOptions();
        SimOptions defaults = SimOptions.defaults("x");
        SimOptions o = r.apply(defaults, null);
        assertThat(r.given()).isFalse();
        assertThat(o.table()).isEqualTo(defaults.table());
        assertThat(o.regionSize()).isEqualTo(defaults.regionSize());
        assertThat(o.table().vringNum()).isEqualTo(RingOptions.DEFAULT_NUM);
        assertThat(o.table().config().h2rBufSize()).isEqualTo(RingOptions.DEFAULT_BUFFER_SIZE);
    }

    @Test
    void largerRingsGetTheirTableAndARegionThatHoldsThem() {
        RingOptions r = rings(2048, 1024);
        SimOptions o = r.apply(SimOptions.defaults("x"), null);
        RptunRsc t = o.table();
        assertThat(t.vringNum()).isEqualTo(2048);
        assertThat(t.config().h2rBufSize()).isEqualTo(1024);
        assertThat(t.config().r2hBufSize()).isEqualTo(1024);
        // A buffer per entry each way, and the rings themselves.
        assertThat(o.regionSize()).isEqualTo(r.regionNeeded()).isGreaterThan(2L * 2048 * 1024);
        // A region given large enough is kept as given.
        assertThat(r.apply(SimOptions.defaults("x"), 64L << 20).regionSize()).isEqualTo(64L << 20);
    }

    @ParameterizedTest
    @CsvSource({"100, 512, --vring-num 100 is not a power of two", "1, 512, --vring-num 1 is not",
        "65536, 512, --vring-num 65536 is not", "0, 512, --vring-num 0 is not", "-64, 512, --vring-num -64 is not",
        "64, 63, --buffer-size 63 is not from 64", "64, 65552, --buffer-size 65552 is not",
        "64, -1, --buffer-size -1 is not"})
    void aValueOutOfRangeIsRefusedWithItsName(int num, int bufferSize, String message) {
        assertThatThrownBy(() -> rings(num, bufferSize).apply(SimOptions.defaults("x"), null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(message);
    }

    @Test
    void aGivenRegionTooSmallForTheRingsIsRefusedWithWhatTheyNeed() {
        RingOptions r = rings(2048, 512);
        assertThatThrownBy(() -> r.apply(SimOptions.defaults("x"), 1L << 20))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("--region-size 1048576 is too small for two vrings of 2048 entries")
                .hasMessageContaining("at least " + r.regionNeeded());
    }

    @Test
    void theHostRefusesBadRingsBeforeItCreatesTheFile() {
        for (String[] args : new String[][] {
            {"host", file.toString(), "--vring-num", "100"},
            {"host", file.toString(), "--buffer-size", "16"},
            {"host", file.toString(), "--vring-num", "2048", "--region-size", "1048576"},
            {"host", "--openamp-linux", "--shm", file.toString(), "--vring-num", "256"},
            {"host", "--nuttx-sim", "--shm", file.toString(), "--buffer-size", "1024"},
            {"ping", "--nuttx-sim", "--shm", file.toString(), "--vring-num", "256"},
            {"demo", "--vring-num", "3"}}) {
            RptunCliTest.Run r = RptunCliTest.run(args);
            assertThat(r.code()).as(String.join(" ", args)).isEqualTo(ExitCodes.BAD_INPUT);
            assertThat(r.err()).as(String.join(" ", args)).containsAnyOf("--vring-num", "--buffer-size", "--region-size")
                    .doesNotContain("Exception");
            assertThat(file).as(String.join(" ", args)).doesNotExist();
        }
    }

    @Test
    void theHostLaysOutTheRingsItWasToldAndDumpReadsThemBack() throws Exception {
        StringWriter hostOut = new StringWriter();
        CompletableFuture<Integer> host = CompletableFuture.supplyAsync(() -> RptunCli.execute(
                new String[] {"host", file.toString(), "--vring-num", "1024", "--buffer-size", "1024", "--wait-ms", "3000"},
                new PrintWriter(hostOut, true), new PrintWriter(new StringWriter(), true)));
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!hostOut.toString().contains("waiting up to")) {
            assertThat(System.nanoTime() - deadline).as("the host's output: %s", hostOut).isNegative();
            Thread.sleep(10);
        }
        assertThat(hostOut.toString()).contains("vrings of 1024 entries, 1024-byte buffers");
        // The host prints before it starts: its layout (vrings placed, RX buffers posted) comes a moment later.
        RptunCliTest.Run dump = RptunCliTest.run("dump", file.toString());
        while (!dump.out().contains("1024 buffers descriptors point to")) {
            assertThat(System.nanoTime() - deadline).as("the dump: %s", dump.out()).isNegative();
            Thread.sleep(20);
            dump = RptunCliTest.run("dump", file.toString());
        }
        assertThat(dump.code()).as(dump.err()).isZero();
        assertThat(dump.out()).contains("vring0 da").contains("num 1024")
                .contains("buffer sizes h2r 1024, r2h 1024").contains("1024 buffers descriptors point to");
        // No remote comes: the host gives up after --wait-ms and removes its file.
        assertThat(host.get(60, TimeUnit.SECONDS)).isEqualTo(ExitCodes.FAILED);
        assertThat(file).doesNotExist();
    }
}
