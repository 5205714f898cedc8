/**
 * The Standard Schema interface (https://standardschema.dev, v1), copied as
 * its authors ask libraries to do rather than depend on a package: zod 3.24+,
 * valibot 1, arktype 2 and others implement it, so a consumer can check
 * bodies with whichever the app already uses and Postbox depends on none.
 */
export interface StandardSchemaV1<Input = unknown, Output = Input> {
  readonly '~standard': StandardSchemaProps<Input, Output>;
}

export interface StandardSchemaProps<Input = unknown, Output = Input> {
  readonly version: 1;
  readonly vendor: string;
  readonly validate: (value: unknown) => StandardSchemaResult<Output> | Promise<StandardSchemaResult<Output>>;
  readonly types?: { readonly input: Input; readonly output: Output } | undefined;
}

export type StandardSchemaResult<Output> =
  | { readonly value: Output; readonly issues?: undefined }
  | { readonly issues: ReadonlyArray<StandardSchemaIssue> };

export interface StandardSchemaIssue {
  readonly message: string;
  readonly path?: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }> | undefined;
}

/** The body type a schema produces. */
export type SchemaOutput<S> = S extends StandardSchemaV1<unknown, infer Output> ? Output : unknown;
