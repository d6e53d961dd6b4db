/**
 * How carrier names are compared across connectors: "PostNL", "post-nl" and "POST NL" are one carrier,
 * and so are "Colis Privé" and "Colis Prive". Returns lower-case ASCII letters and digits only (accents
 * dropped by Unicode decomposition); a name without any (e.g. Japanese) gives "".
 */
export function carrierKey(name: string): string {
  return name.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase().replace(/[^a-z0-9]/g, '');
}
