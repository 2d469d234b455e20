package io.rptun.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * Every {@code ./rptun ...} command the README shows must parse with today's command line (names,
 * options, values), so the README cannot drift from it; what they do is run by {@link RptunCliTest},
 * {@code ExamplesTest} and the dump tests.
 */
class ReadmeCommandsTest {
    private static final Pattern COMMAND = Pattern.compile("`?(\\./rptun(?: [^`|#\\n]*)?)");

    static List<String> readmeCommands() throws Exception {
        // A '|' inside a table cell is written '\\|'; keep it as part of the command.
        String readme = Files.readString(Path.of("..", "README.md")).replace("\\|", "\u00a6");
        List<String> commands = new ArrayList<>();
        Matcher m = COMMAND.matcher(readme);
        while (m.find()) {
            String c = m.group(1).replace('\u00a6', '|').strip();
            commands.add(c);
        }
        return commands;
    }

    @Test
    void everyRptunCommandInTheReadmeParses() throws Exception {
        List<String> commands = readmeCommands();
        assertThat(commands).as("the README shows the command line").hasSizeGreaterThan(10);
        for (String c : commands) {
            String[] args = Arrays.stream(c.substring("./rptun".length()).trim().split("\\s+"))
                    .filter(a -> !a.isEmpty())
                    // Placeholders and alternatives are written in capitals or with [ ] | in the README tables.
                    .map(a -> a.replaceAll("[\\[\\]]", ""))
                    .filter(a -> !a.isEmpty() && !a.equals("..."))
                    .toArray(String[]::new);
            args = fill(args);
            CommandLine cli = new CommandLine(new RptunCli());
            try {
                cli.parseArgs(args);
            } catch (CommandLine.ParameterException e) {
                throw new AssertionError("README command '" + c + "' does not parse: " + e.getMessage(), e);
            }
        }
    }

    /** Replaces placeholders (FILE, N, MS, ...) and alternatives (0|1|2) with sample values. */
    private static String[] fill(String[] args) {
        String[] out = new String[args.length];
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.contains("|")) {
                a = a.substring(0, a.indexOf('|'));
            }
            out[i] = switch (a) {
                case "FILE", "P" -> "/dev/shm/x";
                case "N", "MS", "TIMES", "LENGTH", "MESSAGES", "MESSAGES]" -> "5";
                case "BYTES" -> "512";
                case "SERVICE" -> "rptun-echo";
                case "NAME" -> "core-echo";
                default -> a;
            };
        }
        return out;
    }
}
