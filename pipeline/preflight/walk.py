"""Walking a page's content: what it prints, where, with which images and fonts.

The walker follows the graphics state (CTM, fill and stroke colour, overprint, text render
mode) through the page's content stream and every form it draws, at any depth; forms named
``pssMO*`` (Signa's marks) and everything inside them count as marks. It records facts, not
verdicts: :mod:`pipeline.preflight.checks` turns them into findings. A broken colour space,
image or font becomes a ``problem`` (one line) and the walk goes on; the budget (a deadline
and an operator count) is checked between operators.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from pypdf.generic import DictionaryObject, StreamObject

from pipeline.preflight.colours import CMYK, GRAY, Colour, Space, colour
from pipeline.preflight.fonts import font_use
from pipeline.preflight.objects import (
    as_dict,
    bbox,
    contents,
    image_use,
    initial_colour,
    inline_dict,
    lookup,
    matrix,
    missing_font,
    object_key,
    pattern_inks,
    pattern_kind,
    space_of,
    stream_data,
    truth,
)
from pipeline.preflight.records import (
    IDENTITY,
    Box,
    GraphicsState,
    OverBudget,
    PageUse,
    TooManyOperators,
    multiply,
    transform_box,
)
from pipeline.preflight.tokens import operations

#: Prefix of Signa's mark forms; everything drawn inside one is a mark.
MARK_PREFIX = "pssMO"
#: Deepest nesting of forms followed (a loop of forms is caught before this).
MAX_FORM_DEPTH = 32
#: Operators read per page at most; a page beyond this is reported as partly checked.
MAX_OPERATORS = 5_000_000
#: The deadline is looked at every this many operators.
CLOCK_EVERY = 4096
#: Distinct colours remembered per page before the memory is emptied.
MAX_CACHED_COLOURS = 10_000
#: Saved graphics states kept at most (``q`` without ``Q`` a million times).
MAX_STACK = 256
#: Converted-colour paints, white overprints and image placements recorded per page at most.
MAX_RECORDS = 1000

_RGB = Space("rgb", label="DeviceRGB")
#: The space of a pattern whose colour is converted RGB (for the rgb_content check).
_RGB_PATTERN = Space("rgb", label="Pattern in RGB")
_PAINT_FILL = {"f", "F", "f*", "B", "B*", "b", "b*"}
_PAINT_STROKE = {"S", "s", "B", "B*", "b", "b*"}
_TEXT_SHOW = {"Tj", "TJ", "'", '"'}


class Walker:
    """Walks one page; :meth:`walk` returns its :class:`PageUse`."""

    def __init__(self, deadline: float, max_operators: int = MAX_OPERATORS) -> None:
        self.deadline = deadline
        self.max_operators = max_operators
        self.use = PageUse()
        self.forms: list[str] = []  # the forms being walked (loop detection)
        self.patterns: set[str] = set()  # coloured tiling patterns already walked
        self.colours: dict[tuple[Any, ...], Colour] = {}
        self.fonts_seen: set[tuple[int, str]] = set()
        self.walked: set[tuple[Any, ...]] = set()  # forms walked, with scale and colours
        # the content stream being interpreted (each form's own while it is walked)
        self.resources: Any = None
        self.state = GraphicsState()
        self.stack: list[GraphicsState] = []
        self.mark = False
        self.path: list[Any] = []
        self.handlers: dict[str, Callable[[list[Any]], None]] = self._handlers()

    def walk(self, page: DictionaryObject) -> PageUse:
        """Walk the page's content; over the operator limit the rest is a problem."""
        data = contents(page, self.use)
        try:
            self._run(data, as_dict(page.get("/Resources")), GraphicsState(), mark=False)
        except TooManyOperators:
            self.use.complete = False
            self.use.problem(
                f"more than {self.max_operators} drawing operators: the rest of the page is "
                f"not checked"
            )
        return self.use

    # --- the interpreter -------------------------------------------------------------------

    def _run(self, data: bytes, resources: Any, state: GraphicsState, mark: bool) -> None:
        """Interpret ``data`` with its own resources and a copy of the graphics state."""
        saved = (self.resources, self.state, self.stack, self.mark, self.path)
        self.resources, self.state, self.stack, self.mark, self.path = (
            resources,
            state,
            [],
            mark,
            [],
        )
        use, handlers, deadline = self.use, self.handlers, self.deadline
        try:
            for operands, operator in operations(data):
                use.operators += 1
                if use.operators % CLOCK_EVERY == 0:
                    self._clock(deadline)
                handler = handlers.get(operator)
                if handler is not None:
                    try:
                        handler(operands)
                    except (ValueError, TypeError, IndexError, KeyError, AttributeError) as exc:
                        use.problem(f"operator {operator}: {type(exc).__name__}: {exc}"[:200])
        finally:
            self.resources, self.state, self.stack, self.mark, self.path = saved

    def _clock(self, deadline: float) -> None:
        if time.monotonic() > deadline:
            raise OverBudget
        if self.use.operators > self.max_operators:
            raise TooManyOperators

    def _handlers(self) -> dict[str, Callable[[list[Any]], None]]:
        handlers: dict[str, Callable[[list[Any]], None]] = {
            "q": self._save,
            "Q": self._restore,
            "cm": self._concat,
            "gs": self._extgstate,
            "g": lambda o: self._set(True, GRAY, o),
            "G": lambda o: self._set(False, GRAY, o),
            "k": lambda o: self._set(True, CMYK, o),
            "K": lambda o: self._set(False, CMYK, o),
            "rg": lambda o: self._set(True, _RGB, o),
            "RG": lambda o: self._set(False, _RGB, o),
            "cs": lambda o: self._space(True, o),
            "CS": lambda o: self._space(False, o),
            "sc": lambda o: self._values(True, o),
            "scn": lambda o: self._values(True, o),
            "SC": lambda o: self._values(False, o),
            "SCN": lambda o: self._values(False, o),
            "re": self._rect,
            "m": self._point,
            "l": self._point,
            "c": self._point,
            "v": self._point,
            "y": self._point,
            "n": self._end_path,
            "Tr": self._render_mode,
            "BT": self._text_begin,
            "Tm": self._text_matrix,
            "Td": self._text_move,
            "TD": self._text_move,
            "Tf": self._font,
            "Do": self._xobject,
            "BI": self._inline_image,
            "sh": self._shading,
        }
        for operator in _PAINT_FILL | _PAINT_STROKE:
            handlers[operator] = self._painter(operator)
        for operator in _TEXT_SHOW:
            handlers[operator] = self._show_text
        return handlers

    # --- graphics state --------------------------------------------------------------------

    def _save(self, _: list[Any]) -> None:
        if len(self.stack) < MAX_STACK:
            self.stack.append(self.state.copy())

    def _restore(self, _: list[Any]) -> None:
        if self.stack:
            self.state = self.stack.pop()

    def _concat(self, operands: list[Any]) -> None:
        self.state.ctm = multiply(matrix(operands), self.state.ctm)

    def _extgstate(self, operands: list[Any]) -> None:
        settings = lookup(self.resources, "/ExtGState", operands[0])
        if not isinstance(settings, DictionaryObject):
            self.use.problem(f"graphics state /{operands[0]} is missing")
            return
        stroke, fill = settings.get("/OP"), settings.get("/op", settings.get("/OP"))
        if stroke is not None:
            self.state.overprint_stroke = truth(stroke)
        if fill is not None:
            self.state.overprint_fill = truth(fill)

    def _set(self, fill: bool, space: Space, operands: list[Any]) -> None:
        self._assign(fill, self._colour(space, operands))

    def _colour(self, space: Space, operands: list[Any]) -> Colour:
        """``colour()`` remembered: a sheet sets the same few colours thousands of times."""
        key = (id(space), *operands)
        try:
            return self.colours[key]
        except KeyError:
            pass
        except TypeError:  # an unhashable operand (a malformed array)
            return colour(space, operands)
        found = self.colours[key] = colour(space, operands)
        if len(self.colours) > MAX_CACHED_COLOURS:
            self.colours.clear()
        return found

    def _assign(self, fill: bool, value: Colour) -> None:
        if fill:
            self.state.fill = value
        else:
            self.state.stroke = value

    def _space(self, fill: bool, operands: list[Any]) -> None:
        self._assign(fill, initial_colour(space_of(operands[0], self.resources, self.use)))

    def _values(self, fill: bool, operands: list[Any]) -> None:
        current = self.state.fill if fill else self.state.stroke
        if current.space.family == "pattern" and operands and isinstance(operands[-1], str):
            self._assign(fill, self._pattern(current.space, operands))
        else:
            self._assign(fill, self._colour(current.space, operands))

    def _pattern(self, space: Space, operands: list[Any]) -> Colour:
        """A pattern colour; a coloured tiling pattern's cell is walked once, where it is set."""
        name = operands[-1]
        pattern = lookup(self.resources, "/Pattern", name)
        kind = pattern_kind(pattern)
        if kind == "tiling" and object_key(pattern) not in self.patterns:
            self.patterns.add(object_key(pattern))
            self._form(pattern, f"pattern /{name}")
        inks, converted = pattern_inks(pattern, kind, space, operands[:-1], self.resources)
        space = _RGB_PATTERN if converted else space
        return Colour(space, inks, False, name=f"Pattern /{name}")

    # --- paths and painting ----------------------------------------------------------------

    # The path keeps the operand lists as they came (a rectangle's as a tuple); numbers are
    # read only when a record needs the painted box, which is rare.

    def _rect(self, operands: list[Any]) -> None:
        self.path.append(tuple(operands))

    def _point(self, operands: list[Any]) -> None:
        self.path.append(operands)

    def _end_path(self, _: list[Any]) -> None:
        self.path = []

    def _painter(self, operator: str) -> Callable[[list[Any]], None]:
        fills, strokes = operator in _PAINT_FILL, operator in _PAINT_STROKE

        def paint(_: list[Any]) -> None:
            state, path = self.state, self.path
            self.path = []
            if fills:
                self._paints(state.fill, path, state.overprint_fill)
            if strokes:
                self._paints(state.stroke, path, state.overprint_stroke)

        return paint

    def _path_box(self, path: list[Any]) -> Box | None:
        points: list[float] = []
        for operands in path:
            numbers = [float(v) for v in operands[:6]]
            if isinstance(operands, tuple) and len(numbers) == 4:
                x, y, w, h = numbers
                numbers = [x, y, x + w, y + h]
            points += numbers[: len(numbers) // 2 * 2]
        if len(points) < 2:
            return None
        xs, ys = points[0::2], points[1::2]
        return transform_box(self.state.ctm, min(xs), min(ys), max(xs), max(ys))

    def _paints(
        self,
        value: Colour,
        where: Box | list[Any] | Callable[[], Box] | None,
        overprint: bool = False,
        vector: bool = True,
    ) -> None:
        """Record that ``value`` is painted over ``where`` (a box, or a path or a function
        whose box is computed only when a record needs it)."""
        use = self.use
        if self.mark:
            use.mark_inks.update(value.inks)
            return
        converted = value.space.converted
        if converted:
            use.converted_inks.update(value.inks)
        recorded = use.inks
        new = [] if converted else [ink for ink in value.inks if ink not in recorded]
        wanted = new or (vector and converted) or (overprint and value.white)
        if not wanted:
            return
        if isinstance(where, list):
            box = self._path_box(where)
        else:
            box = where() if callable(where) else where
        for ink in new:
            recorded[ink] = box
        if vector and converted and len(use.converted) < MAX_RECORDS:
            use.converted.append((value.label, box))
        if overprint and value.white and len(use.white_overprint) < MAX_RECORDS:
            use.white_overprint.append((value.label, box))

    # --- text ------------------------------------------------------------------------------

    def _text_begin(self, _: list[Any]) -> None:
        self.state.text = IDENTITY

    def _text_matrix(self, operands: list[Any]) -> None:
        self.state.text = matrix(operands)

    def _text_move(self, operands: list[Any]) -> None:
        x, y = float(operands[0]), float(operands[1])
        self.state.text = multiply((1.0, 0.0, 0.0, 1.0, x, y), self.state.text)

    def _render_mode(self, operands: list[Any]) -> None:
        self.state.render = int(operands[0])

    def _font(self, operands: list[Any]) -> None:
        self.state.font, self.state.font_size = str(operands[0]), float(operands[1])

    def _show_text(self, _: list[Any]) -> None:
        state = self.state
        if state.render in (0, 2, 4, 6):
            self._paints(state.fill, self._text_box, state.overprint_fill)
        if state.render in (1, 2, 5, 6):
            self._paints(state.stroke, self._text_box, state.overprint_stroke)
        if not self.mark and state.font:
            self._check_font(state.font)

    def _text_box(self) -> Box:
        """Where the text shown now starts: a font-size square at the text position."""
        state = self.state
        size = abs(state.font_size) or 1.0
        return transform_box(multiply(state.text, state.ctm), 0, 0, size, size)

    def _check_font(self, name: str) -> None:
        seen = (id(self.resources), name)
        if seen in self.fonts_seen:
            return
        self.fonts_seen.add(seen)
        font = lookup(self.resources, "/Font", name)
        key = object_key(font) if font is not None else f"missing {name}"
        if key not in self.use.fonts:
            self.use.fonts[key] = font_use(font) if font is not None else missing_font(name)
            self.use.font_places[key] = self._text_box()

    # --- external objects ------------------------------------------------------------------

    def _xobject(self, operands: list[Any]) -> None:
        name = str(operands[0])
        xobject = lookup(self.resources, "/XObject", name)
        if not isinstance(xobject, StreamObject):
            self.use.problem(f"XObject /{name} is missing or not a stream")
            return
        subtype = xobject.get("/Subtype")
        if subtype == "/Image":
            self._image(name, xobject)
        elif subtype == "/Form":
            self._form(xobject, name, mark=self.mark or name.startswith(MARK_PREFIX))

    def _form(self, form: Any, name: str, mark: bool | None = None) -> None:
        """Walk a form (or a tiling pattern's cell) in place, with its matrix and resources."""
        key = object_key(form)
        if key in self.forms or len(self.forms) >= MAX_FORM_DEPTH:
            self.use.problem(f"form /{name} draws itself or nests too deep; not followed")
            return
        state = self.state.copy()
        state.ctm = multiply(matrix(form.get("/Matrix", IDENTITY)), state.ctm)
        mark = self.mark if mark is None else mark
        if self._walked_alike(key, state, mark):
            return
        data = stream_data(form, f"form /{name}", self.use)
        resources = as_dict(form.get("/Resources")) or self.resources
        self.forms.append(key)
        try:
            self._run(data, resources, state, mark)
        finally:
            self.forms.pop()

    def _walked_alike(self, key: str, state: GraphicsState, mark: bool) -> bool:
        """True when this form was already walked at the same scale with the same colours:
        it prints the same inks and images at the same resolution, only elsewhere (an N-up
        sheet places one page form many times). The first placement's positions stand."""
        scale = tuple(round(v, 4) for v in state.ctm[:4])
        overprint = (state.overprint_fill, state.overprint_stroke)
        alike = (key, mark, scale, state.fill, state.stroke, overprint)
        if alike in self.walked:
            return True
        self.walked.add(alike)
        return False

    def _image(self, name: str, image: DictionaryObject) -> None:
        state = self.state
        placed = image_use(name, image, state.ctm, state.fill, self.resources, self.use)
        if placed is not None:
            value, use = placed
            use.mark = self.mark
            self._paints(value, use.box, vector=False)
            if len(self.use.images) < MAX_RECORDS:
                self.use.images.append(use)

    def _inline_image(self, operands: list[Any]) -> None:
        self._image("inline image", inline_dict(operands[0]))

    def _shading(self, operands: list[Any]) -> None:
        shading = lookup(self.resources, "/Shading", operands[0])
        if not isinstance(shading, DictionaryObject):
            self.use.problem(f"shading /{operands[0]} is missing")
            return
        space = space_of(shading.get("/ColorSpace"), self.resources, self.use)
        box = bbox(shading.get("/BBox"), self.state.ctm)
        value = Colour(space, space.all_inks(), False, name=space.label)
        self._paints(value, box, self.state.overprint_fill)
