package io.rptun.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.rptun.core.lifecycle.Rptun;
import io.rptun.core.lifecycle.RptunOptions;
import io.rptun.core.nuttx.NuttxPing;
import io.rptun.core.rpmsg.RpmsgDevice;
import io.rptun.core.rpmsg.RpmsgEndpoint;
import io.rptun.sim.OpenAmpLinuxDriver;
import io.rptun.sim.SimDriver;
import io.rptun.sim.SimFile;
import io.rptun.sim.SimOptions;
import io.rptun.sim.SimRemote;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@code rptun dump} on a live link, a stopped file and OpenAMP's raw file, in text and JSON. */
@Timeout(120)
class DumpCommandTest {
    private static final int ECHOES = 10;
    private final List<Path> created = new ArrayList<>();

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

    Path newFile() {
        Path p = SimFile.shmPath("rptun-dump-test-" + UUID.randomUUID());
        created.add(p);
        return p;
    }

    @AfterEach
    void deleteFiles() throws Exception {
        for (Path p : created) {
            Files.deleteIfExists(p);
        }
    }

    /** Runs a host and an in-JVM remote over {@code options}, sends echoes, and runs {@code whileLive}. */
    static void withEchoLink(SimOptions options, ThrowingConsumer whileLive) throws Exception {
        try (Rptun host = Rptun.create(SimDriver.host(options, null), RptunOptions.defaults());
                SimRemote remote = SimRemote.start(options, true, true, List.of())) {
            RpmsgDevice device = host.start();
            remote.awaitRunning(Duration.ofSeconds(30));
            BlockingQueue<String> replies = new LinkedBlockingQueue<>();
            RpmsgEndpoint echo = device.createEndpoint(SimRemote.ECHO, (ep, msg) -> replies.add(msg.asString()));
            assertThat(echo.awaitBound(Duration.ofSeconds(30))).isTrue();
            for (int i = 0; i < ECHOES; i++) {
                echo.send(("hello " + i).getBytes(StandardCharsets.UTF_8));
                assertThat(replies.poll(30, TimeUnit.SECONDS)).isEqualTo("hello " + i);
            }
            whileLive.accept(echo);
        }
    }

    interface ThrowingConsumer {
        void accept(RpmsgEndpoint echo) throws Exception;
    }

    @Test
    void helpSaysWhatTheDumpShows() {
        Run r = run("dump", "--help");
        assertThat(r.code()).isZero();
        assertThat(r.out()).contains("Usage: rptun dump").contains("FILE").contains("--json").contains("read-only")
                .contains("resource table").contains("vring").contains("endpoints").contains("heap").contains("exit 2");
    }

    @Test
    void aLiveLinkShowsBothLiveProcessesTheTableTheRingsAndTheEchoTraffic() throws Exception {
        Path p = newFile();
        long pid = ProcessHandle.current().pid();
        withEchoLink(SimOptions.defaults("x").withPath(p), echo -> {
            Run r = run("dump", p.toString());
            assertThat(r.code()).as(r.err()).isZero();
            assertThat(r.err()).isEmpty();
            assertThat(r.out()).contains("simulator file").contains("magic \"RPTUNSIM\"")
                    .containsPattern("(?m)^host +" + pid + " +yes +\\d+ +\\d+ +ATTACHED ")
                    .containsPattern("(?m)^remote +" + pid + " +yes +\\d+ +\\d+ +ATTACHED ")
                    .containsPattern("host epoch (\\d+), claimed epoch \\1 \\(a remote attached")
                    .containsPattern("status 0x0\\d [A-Z_ ]*DRIVER_OK")
                    .contains("NuttX fw_rsc_config: buffer sizes h2r 512, r2h 512")
                    .contains("cpus host \"host\", remote \"remote\"")
                    .contains("vdev0 vring0 (remote -> host)").contains("vdev0 vring1 (host -> remote)")
                    .contains("0x0 table | ").contains(" heap | 0x100000 end")
                    .contains("not a registry")
                    .contains("\"" + SimRemote.ECHO + "\"")
                    .contains("the allocator's bookkeeping (which buffers are free) lives in the host process")
                    .contains("== anomalies: none");

            Map<String, Object> json = Json.parseObject(run("dump", "--json", p.toString()).out());
            assertThat(json).containsKeys("file", "sim", "table", "memoryMap", "vrings", "endpoints", "heaps",
                    "anomalies");
            assertThat(Json.at(json, "file", "kind")).isEqualTo("SIMULATOR");
            for (Object side : Json.list(json, "sim", "sides")) {
                assertThat(Json.at(side, "pid")).isEqualTo(pid);
                assertThat(Json.at(side, "alive")).isEqualTo(true);
                assertThat(Json.at(side, "state")).isEqualTo("ATTACHED");
            }
            List<Object> rings = Json.list(json, "vrings");
            assertThat(rings).hasSize(2);
            for (Object ring : rings) {
                assertThat((long) Json.at(ring, "inFlight")).isBetween(0L, (long) Json.at(ring, "num"));
            }
            // The host posted its 64 RX buffers to vring0; the remote filled at least its NS announcements
            // and the echo replies; the host sent at least the echoes on vring1 and the remote consumed them.
            assertThat((long) Json.at(rings.get(0), "availIdx")).isGreaterThanOrEqualTo(64);
            assertThat((long) Json.at(rings.get(0), "usedIdx")).isGreaterThanOrEqualTo(ECHOES + 3);
            assertThat((long) Json.at(rings.get(1), "availIdx")).isGreaterThanOrEqualTo(ECHOES);
            assertThat((long) Json.at(rings.get(1), "usedIdx")).isGreaterThanOrEqualTo(ECHOES);
            List<Object> names = Json.list(json, "endpoints", "nameService");
            assertThat(names).extracting(n -> Json.at(n, "name"))
                    .contains(SimRemote.ECHO, SimRemote.SINK, NuttxPing.NAME);
            long echoAddress = Integer.toUnsignedLong(echo.destination());
            assertThat(Json.list(json, "endpoints", "flows")).anySatisfy(f -> {
                assertThat(Json.at(f, "src")).isEqualTo(echoAddress);
                assertThat(Json.at(f, "direction")).isEqualTo("remote -> host");
                assertThat((long) Json.at(f, "messages")).isPositive();
            });
            assertThat(Json.list(json, "anomalies")).isEmpty();
        });
    }

    @Test
    void aStoppedFileStillShowsTheLastLayoutAndBothSidesClosedCleanly() throws Exception {
        Path p = newFile();
        withEchoLink(SimOptions.defaults("x").withPath(p).withDeleteOnClose(false), echo -> {
        });
        assertThat(p).exists();
        byte[] before = Files.readAllBytes(p);
        Run r = run("dump", p.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).containsPattern("(?m)^host +\\d+ +yes +\\d+ +\\d+ +CLOSED_CLEANLY")
                .containsPattern("(?m)^remote +\\d+ +yes +\\d+ +\\d+ +CLOSED_CLEANLY")
                .contains("vdev0 vring0 (remote -> host)").contains("\"" + SimRemote.ECHO + "\"")
                .contains("== anomalies: none");
        Map<String, Object> json = Json.parseObject(run("dump", "--json", p.toString()).out());
        assertThat(Json.list(json, "heaps")).singleElement().satisfies(h -> {
            assertThat((long) Json.at(h, "buffers")).isGreaterThanOrEqualTo(64);
            assertThat(Json.at(h, "outsideHeap")).isEqualTo(0L);
        });
        assertThat(Files.readAllBytes(p)).as("a dump never writes to the file").isEqualTo(before);
        Files.delete(p);
        assertThat(p).doesNotExist();
    }

    @Test
    void openAmpsRawFileIsRecognisedAndParsedInOpenAmpModeBeforeAnyHost() throws Exception {
        Path shm = newFile();
        Path socket = Path.of("/tmp", "rd-" + UUID.randomUUID().toString().substring(0, 8));
        OpenAmpLinuxDriver remote = OpenAmpLinuxDriver.remote(shm, socket, Duration.ofSeconds(5), true);
        try {
            Run r = run("dump", shm.toString());
            assertThat(r.code()).as(r.err()).isZero();
            assertThat(r.out()).contains("OpenAMP Linux shm file, 524288 bytes")
                    .contains("parsed in OPENAMP mode").contains("vdev rpmsg (id 7)")
                    .contains("dfeatures 0x00000001 NS").contains("status 0x00 (none)")
                    .contains("vring0 da 0x4000 align 0x1000 num 256 notifyid 0x1")
                    .contains("vring1 da 0x8000 align 0x1000 num 256 notifyid 0x2")
                    .contains("avail entries: none written yet")
                    .contains("OpenAMP's shared buffer pool").contains("window 0x10000..0x80000")
                    .contains("== anomalies: none");
            Map<String, Object> json = Json.parseObject(run("dump", "--json", shm.toString()).out());
            assertThat(Json.at(json, "file", "kind")).isEqualTo("OPENAMP_LINUX");
            assertThat(Json.at(json, "parseMode")).isEqualTo("OPENAMP");
            assertThat(Json.at(json, "sim")).isNull();
            assertThat(Json.list(json, "vrings")).extracting(v -> Json.at(v, "da")).containsExactly(0x4000L, 0x8000L);
        } finally {
            remote.close();
            Files.deleteIfExists(socket);
        }
    }

    /** A minimal JSON parser for the tests: objects, arrays, strings, integers, booleans and null. */
    static final class Json {
        private final String s;
        private int i;

        private Json(String s) {
            this.s = s;
        }

        @SuppressWarnings("unchecked")
        static Map<String, Object> parseObject(String text) {
            Json j = new Json(text.strip());
            Object value = j.value();
            if (j.i != j.s.length()) {
                throw new IllegalArgumentException("trailing text at " + j.i);
            }
            return (Map<String, Object>) value;
        }

        /** The value at a path of object keys. */
        @SuppressWarnings("unchecked")
        static Object at(Object root, String... keys) {
            Object v = root;
            for (String k : keys) {
                Map<String, Object> m = (Map<String, Object>) v;
                if (!m.containsKey(k)) {
                    throw new AssertionError("no key " + k + " in " + m.keySet());
                }
                v = m.get(k);
            }
            return v;
        }

        @SuppressWarnings("unchecked")
        static List<Object> list(Object root, String... keys) {
            return (List<Object>) at(root, keys);
        }

        private Object value() {
            char c = s.charAt(i);
            switch (c) {
                case '{' -> {
                    Map<String, Object> m = new LinkedHashMap<>();
                    i++;
                    if (s.charAt(i) == '}') {
                        i++;
                        return m;
                    }
                    while (true) {
                        String key = string();
                        expect(':');
                        m.put(key, value());
                        if (s.charAt(i) == ',') {
                            i++;
                        } else {
                            expect('}');
                            return m;
                        }
                    }
                }
                case '[' -> {
                    List<Object> l = new ArrayList<>();
                    i++;
                    if (s.charAt(i) == ']') {
                        i++;
                        return l;
                    }
                    while (true) {
                        l.add(value());
                        if (s.charAt(i) == ',') {
                            i++;
                        } else {
                            expect(']');
                            return l;
                        }
                    }
                }
                case '"' -> {
                    return string();
                }
                default -> {
                    if (s.startsWith("true", i)) {
                        i += 4;
                        return true;
                    }
                    if (s.startsWith("false", i)) {
                        i += 5;
                        return false;
                    }
                    if (s.startsWith("null", i)) {
                        i += 4;
                        return null;
                    }
                    int start = i;
                    while (i < s.length() && (Character.isDigit(s.charAt(i)) || s.charAt(i) == '-')) {
                        i++;
                    }
                    if (start == i) {
                        throw new IllegalArgumentException("unexpected '" + c + "' at " + i);
                    }
                    return Long.parseUnsignedLong(s.substring(start, i));
                }
            }
        }

        private String string() {
            expect('"');
            StringBuilder sb = new StringBuilder();
            while (s.charAt(i) != '"') {
                char c = s.charAt(i++);
                if (c == '\\') {
                    char e = s.charAt(i++);
                    switch (e) {
                        case 'n' -> sb.append('\n');
                        case 'r' -> sb.append('\r');
                        case 't' -> sb.append('\t');
                        case 'u' -> {
                            sb.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
                            i += 4;
                        }
                        default -> sb.append(e);
                    }
                } else {
                    if (c < 0x20) {
                        throw new IllegalArgumentException("raw control character at " + (i - 1));
                    }
                    sb.append(c);
                }
            }
            i++;
            return sb.toString();
        }

        private void expect(char c) {
            if (s.charAt(i) != c) {
                throw new IllegalArgumentException("expected '" + c + "' at " + i + ", found '" + s.charAt(i) + "'");
            }
            i++;
        }
    }
}
