package io.rptun.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The Kotlin example (KotlinEcho.kt) compiles, runs, and does what it says. */
@Timeout(60)
class KotlinEchoTest {
    @Test
    void theKotlinExampleEchoesEveryMessageInOrderAndHoldsNoBufferAfterClosing() {
        EchoResult result = KotlinEcho.runEcho(List.of("one", "two", "three", "four"));
        assertThat(result.getReceived()).containsExactly("one", "two", "three", "four");
        assertThat(result.getHeldAfterClose()).isZero();
    }

    @Test
    void itsMainPrintsEachEcho() {
        PrintStream original = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            KotlinEcho.main();
        } finally {
            System.setOut(original);
        }
        assertThat(out.toString(StandardCharsets.UTF_8))
                .contains("sent 'hello', echoed 'hello'")
                .contains("sent 'kotlin', echoed 'kotlin'")
                .contains("RX buffers still held after close: 0");
    }
}
