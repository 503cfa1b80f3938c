# Sourced by ./arrow and ./test: arrow_find_jdk finds the home of a JDK 25 or newer, sets
# ARROW_JDK_HOME to it and prints it. Reads each JDK's `release` file with the shell's own
# builtins, in this shell, rather than running `java -version`, sed or a subshell: a process per
# candidate would cost every ./arrow command tens of milliseconds.

arrow_jdk_major() { # JDK home -> ARROW_JDK_MAJOR, its feature version, or empty
  local home=$1 line
  ARROW_JDK_MAJOR=''
  if [[ -r $home/release ]]; then
    while IFS= read -r line; do
      if [[ $line =~ ^JAVA_VERSION=\"([0-9]+) ]]; then
        ARROW_JDK_MAJOR=${BASH_REMATCH[1]}
        break
      fi
    done < "$home/release"
  elif [[ -x $home/bin/java ]]; then
    ARROW_JDK_MAJOR=$("$home/bin/java" -version 2>&1 | sed -n 's/.* version "\([0-9]*\).*/\1/p')
  fi
  [[ $ARROW_JDK_MAJOR =~ ^[0-9]+$ ]] || ARROW_JDK_MAJOR=''
}

arrow_is_jdk25() {
  [[ -x $1/bin/java && -x $1/bin/javac ]] || return 1
  arrow_jdk_major "$1"
  [[ -n $ARROW_JDK_MAJOR ]] && ((ARROW_JDK_MAJOR >= 25))
}

arrow_find_jdk() {
  local home
  ARROW_JDK_HOME=''
  if [[ -n ${JAVA_HOME:-} ]] && arrow_is_jdk25 "$JAVA_HOME"; then
    ARROW_JDK_HOME=$JAVA_HOME
  else
    for home in /usr/lib/jvm/*/; do
      home=${home%/}
      if arrow_is_jdk25 "$home"; then
        ARROW_JDK_HOME=$home
        break
      fi
    done
  fi
  if [[ -z $ARROW_JDK_HOME ]]; then
    echo "arrow: no JDK 25 or newer: set JAVA_HOME or install one under /usr/lib/jvm" >&2
    return 1
  fi
  echo "$ARROW_JDK_HOME"
}

# For ./mvnw under the JDK found above: Maven 3.9's Guice uses sun.misc.Unsafe, which JDK 24+
# warns about on every build. Not in .mvn/jvm.config: JDK 17, the default java here, rejects
# the flag, and a plain ./mvnw under it should reach the enforcer's clear "needs JDK 25" instead.
ARROW_MAVEN_OPTS="--sun-misc-unsafe-memory-access=allow"
