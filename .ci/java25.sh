# Source this file (`. .ci/java25.sh`): it points JAVA_HOME (and PATH) at a JDK 25 or newer, or prints
# one line saying what it looked for and returns 1. Used by .ci/run and by people in their shell.
# Looks at $JAVA_HOME, then /usr/lib/jvm/*, then the `java` on PATH.
rptun_java_major() {
  "$1/bin/java" -XshowSettings:properties -version 2>&1 \
    | sed -n 's/^ *java\.specification\.version = \([0-9][0-9]*\).*/\1/p' | head -n 1
}
rptun_select_java25() {
  local candidate major
  for candidate in "${JAVA_HOME:-}" /usr/lib/jvm/temurin-25* /usr/lib/jvm/*25* /usr/lib/jvm/* \
                   "$(dirname "$(dirname "$(readlink -f "$(command -v java 2>/dev/null || echo /nonexistent)")")")"; do
    [ -n "$candidate" ] && [ -x "$candidate/bin/java" ] && [ -x "$candidate/bin/javac" ] || continue
    major="$(rptun_java_major "$candidate")"
    if [ -n "$major" ] && [ "$major" -ge 25 ]; then
      export JAVA_HOME="$candidate"
      export PATH="$JAVA_HOME/bin:$PATH"
      return 0
    fi
  done
  echo "error: no JDK 25 found (looked at \$JAVA_HOME='${JAVA_HOME:-}', /usr/lib/jvm/*, and java on PATH); install one, e.g. Temurin 25, and set JAVA_HOME" >&2
  return 1
}
rptun_select_java25
