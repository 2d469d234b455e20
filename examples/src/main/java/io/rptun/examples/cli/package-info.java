/**
 * The {@code rptun} command line (picocli): {@code demo}, {@code ping}, {@code dump}, {@code host},
 * {@code remote}. Exit codes: {@link io.rptun.examples.cli.ExitCodes}.
 */
@NullMarked
package io.rptun.examples.cli;

import org.jspecify.annotations.NullMarked;
