export {
  countryOf,
  identityKey,
  identityKind,
  isKnownCountry,
  normalisePhone,
  type DirectoryIdentityKind,
} from "./identity.js";
export { lintDirectories, type DirectoryWarning, type TeamMembers } from "./lint.js";
export {
  DirectoryError,
  directoryTeamOf,
  isDirectoryFile,
  loadDirectories,
  parseDirectoryFile,
  parseDirectorySet,
  readDirectoryFiles,
  type DirectoryFileText,
} from "./load.js";
export {
  countriesOf,
  entryMatches,
  fold,
  lookupEntry,
  named,
  nameMatches,
  participantsMatch,
  searchDirectory,
} from "./match.js";
export { createFileDirectorySource, directorySourceOf, type FileDirectorySource } from "./source.js";
export type * from "./types.js";
