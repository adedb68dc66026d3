// Argument checking shared by the zoo scripts: an unknown or mistyped flag must stop the script
// before it starts hours of training or evaluation, and --help must print the usage, not run.

/**
 * @param {string[]} argv process.argv.slice(2)
 * @param {{ usage: string, about: string, withValue: string[], switches: string[] }} spec
 * @returns {{ value: (name: string) => string | undefined, has: (name: string) => boolean }}
 */
export function checkArgs(argv, spec) {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(`Usage: ${spec.usage}\n${spec.about}`);
    process.exit(0);
  }
  const withValue = new Set(spec.withValue);
  for (let i = 0; i < argv.length; i++) {
    if (withValue.has(argv[i])) {
      if (i + 1 >= argv.length || argv[i + 1].startsWith('--')) {
        console.error(`${argv[i]} needs a value; usage: ${spec.usage}`);
        process.exit(2);
      }
      i++;
    } else if (!spec.switches.includes(argv[i])) {
      console.error(`Unknown argument ${argv[i]}; usage: ${spec.usage}`);
      process.exit(2);
    }
  }
  return {
    value: (name) => {
      const i = argv.indexOf(name);
      return i >= 0 ? argv[i + 1] : undefined;
    },
    has: (name) => argv.includes(name),
  };
}
