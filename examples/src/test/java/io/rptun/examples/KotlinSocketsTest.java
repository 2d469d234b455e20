package io.rptun.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The Kotlin socket example (KotlinSockets.kt): a Flow in, suspending sends out. */
@Timeout(60)
class KotlinSocketsTest {
    @Test
    void aKotlinClientGetsBackEveryLineItSentThroughASocketEcho() {
        List<String> lines = java.util.stream.IntStream.range(0, 500).mapToObj(i -> "line " + i).toList();
        assertThat(KotlinSockets.runSocketEcho(lines)).isEqualTo(String.join("\n", lines) + "\n");
    }
}
