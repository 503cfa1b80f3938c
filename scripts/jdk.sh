# Sourced by ./arrow and ./test: arrow_find_jdk prints the home of a JDK 25 or newer.
# Reads each JDK's `release` file rather than running `java -version`: a JVM start per
# candidate would cost ./arrow tens of milliseconds on every run.

arrow_jdk_major() { # JDK home -> its feature version, or nothing
  local home=$1 version
  if [[ -r $home/release ]]; then
    version=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$home/release")
  elif [[ -x $home/bin/java ]]; then
    version=$("$home/bin/java" -version 2>&1 | sed -n 's/.* version "\([0-9]*\).*/\1/p')
  fi
  [[ ${version:-} =~ ^[0-9]+$ ]] && echo "$version"
}

arrow_is_jdk25() {
  local major
  [[ -x $1/bin/java && -x $1/bin/javac ]] || return 1
  major=$(arrow_jdk_major "$1") && ((major >= 25))
}

arrow_find_jdk() {
  local home
  if [[ -n ${JAVA_HOME:-} ]] && arrow_is_jdk25 "$JAVA_HOME"; then
    echo "$JAVA_HOME"
    return 0
  fi
  for home in /usr/lib/jvm/*/; do
    home=${home%/}
    if arrow_is_jdk25 "$home"; then
      echo "$home"
      return 0
    fi
  done
  echo "arrow: no JDK 25 or newer: set JAVA_HOME or install one under /usr/lib/jvm" >&2
  return 1
}

# For ./mvnw under the JDK found above: Maven 3.9's Guice uses sun.misc.Unsafe, which JDK 24+
# warns about on every build. Not in .mvn/jvm.config: JDK 17, the default java here, rejects
# the flag, and a plain ./mvnw under it should reach the enforcer's clear "needs JDK 25" instead.
ARROW_MAVEN_OPTS="--sun-misc-unsafe-memory-access=allow"
