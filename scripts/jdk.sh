# Sourced by ./arrow and ./test: sets JAVA_HOME to a JDK 25 or newer, or fails with a clear message.
java_major() { "$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = \([0-9]*\).*/\1/p'; }
find_jdk() {
  if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ] && [ "$(java_major "$JAVA_HOME")" -ge 25 ] 2>/dev/null; then
    return 0
  fi
  for dir in /usr/lib/jvm/*; do
    if [ -x "$dir/bin/javac" ] && [ "$(java_major "$dir")" -ge 25 ] 2>/dev/null; then
      export JAVA_HOME="$dir"
      return 0
    fi
  done
  echo "arrow: no JDK 25 or newer found (set JAVA_HOME, or install one under /usr/lib/jvm)" >&2
  return 1
}
find_jdk
